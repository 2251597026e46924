package run

// Batch is one postMessage worth of a run's events from the Web Worker
// trainer to the page (see package pada/wasm/msg for the protocol around
// it), with what the page cannot compute on its own; the server's thumbs
// API answers with one too, without events.
type Batch struct {
	Events []Event `json:"events"`
	// Thumbs maps a training-set id (as in DataSummary Top and Bottom)
	// to its raw pixels, channel-major, for the ids of this batch's
	// epoch events that the page has not been sent before.
	Thumbs map[int][]byte `json:"thumbs,omitempty"`
	// Labels maps the same ids to their class.
	Labels map[int]int `json:"labels,omitempty"`
	// Shape of a thumbnail.
	C int `json:"c,omitempty"`
	H int `json:"h,omitempty"`
	W int `json:"w,omitempty"`
	// Mem is the worker's WebAssembly memory in bytes.
	Mem int64 `json:"mem"`
	// Images is how many training images the worker has pushed through
	// forward and backward so far, and Busy the seconds it spent doing so
	// (paused time excluded): Images/Busy is its throughput.
	Images int     `json:"images"`
	Busy   float64 `json:"busy"`
}
