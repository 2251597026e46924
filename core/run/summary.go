package run

// DataSummary describes a data sampler's distribution over the training
// examples for display (an Epoch's Data): a histogram of N*q_i (1 =
// uniform) over bins, and the most and least likely ids. The data
// samplers make it (sampler.Summarize).
type DataSummary struct {
	Edges  []float64 `json:"edges"`  // bin edges of N*q (len(Counts)+1)
	Counts []int     `json:"counts"` // examples per bin
	Top    []int     `json:"top"`    // ids of the most likely examples, most first
	Bottom []int     `json:"bottom"` // ids of the least likely examples, least first
	Max    float64   `json:"max"`    // largest N*q
	Min    float64   `json:"min"`    // smallest N*q
}
