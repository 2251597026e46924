package run

import (
	"pada/core/rank/stat"
)

// Event types, in the order a run emits them.
const (
	TypeStarted = "started"
	TypeStep    = "step"
	TypeEpoch   = "epoch"
	TypeRank    = "rank"
	TypeDone    = "done"
	TypeError   = "error"
)

// Event is one report of a run. Exactly one of the pointer fields is set,
// matching Type.
type Event struct {
	Type    string        `json:"type"`
	Time    float64       `json:"t"` // seconds since the run started
	Started *Started      `json:"started,omitempty"`
	Step    *Step         `json:"step,omitempty"`
	Epoch   *Epoch        `json:"epoch,omitempty"`
	Rank    *RankProgress `json:"rank,omitempty"`
	Done    *Done         `json:"done,omitempty"`
	Error   string        `json:"error,omitempty"`
}

// Started opens a run.
type Started struct {
	Config        Config `json:"config"`
	Params        int    `json:"params"` // parameters of the whole supernet
	TrainImages   int    `json:"train_images"`
	EvalImages    int    `json:"eval_images"`
	StepsPerEpoch int    `json:"steps_per_epoch"`
	Archs         int    `json:"archs"` // architectures to rank
	Backend       string `json:"backend"`
	// Classes names the dataset's classes by label (empty where they have
	// no names), so that a front end need not know the datasets.
	Classes []string `json:"classes,omitempty"`
	// Truth describes the ground-truth table the ranking is scored
	// against; nil without one.
	Truth *TruthTable `json:"truth,omitempty"`
}

// TruthTable is what a ranking's Kendall tau can be read against: a
// ground-truth table is itself a measurement, and two seeds of the same
// architectures do not order them perfectly either.
type TruthTable struct {
	Rows  int `json:"rows"`  // architectures (isomorphism classes) in the table
	Known int `json:"known"` // architectures to rank that the table has
	// Doubly rows were trained with two seeds; SeedTau is the Kendall
	// tau-b between those seeds (0 below two such rows).
	Doubly  int     `json:"doubly"`
	SeedTau float64 `json:"seed_tau"`
	// Ceiling is the Kendall tau a perfect predictor can expect against
	// one-seed rows of the table (groundtruth.Noise; 0 without SeedTau).
	Ceiling float64 `json:"ceiling"`
}

// Step reports training progress every Config.Events.StepEvery steps.
type Step struct {
	Epoch int     `json:"epoch"` // 0-based
	Step  int     `json:"step"`  // global, 1-based
	Loss  float64 `json:"loss"`  // mean over the steps since the last event
	Acc   float64 `json:"acc"`   // training accuracy over those steps, percent
	LR    float64 `json:"lr"`
	Arch  string  `json:"arch"` // the last path trained, in the run's space's string form
	// Ops is the same path as op indices, one per edge of the run's space
	// (Config.Space) in its edge order: 6 for nb201, 3 for nb201-small.
	// Protocol v1 wrote a fixed 6; those streams decode unchanged.
	Ops []int `json:"ops"`
}

// Epoch reports the end of an epoch.
type Epoch struct {
	Epoch     int     `json:"epoch"` // 0-based
	Epochs    int     `json:"epochs"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	// ValAcc is the supernet's accuracy on the validation split, each batch
	// through a uniformly drawn path (as the reference code measures it).
	ValAcc float64 `json:"val_acc"`
	// Drift is the gradient drift across the epoch: the spread of the
	// successive training gradients around their mean over the epoch's
	// steps (PADA.md §5), which mixes the change of the weights during
	// training with the sampling noise; DriftPerParam is the same divided
	// by the parameter count. It is not the variance the theory is about:
	// that is GVFixed.
	Drift         float64 `json:"drift"`
	DriftPerParam float64 `json:"drift_per_param"`
	// GV and GVPerParam are Drift and DriftPerParam under their former
	// names, kept until the front ends read the new ones.
	//
	// Deprecated: use Drift and DriftPerParam.
	GV         float64 `json:"gv"`
	GVPerParam float64 `json:"gv_per_param"`
	// GVFixed is the gradient variance at the weights of the epoch's end
	// (nil when the probe is off).
	GVFixed *GVFixed `json:"gv_fixed,omitempty"`
	// PathProbs is the path distribution that the next epoch samples from,
	// per edge and op: edges x ops of the run's space (Config.Space), in
	// its edge and op order. Protocol v1 wrote a fixed 6 x 5; those
	// streams decode unchanged.
	PathProbs [][]float64 `json:"path_probs"`
	// Data summarises the data distribution the next epoch samples from
	// (nil for uniform data sampling).
	Data    *DataSummary `json:"data,omitempty"`
	Seconds float64      `json:"seconds"`
}

// GVFixed is the gradient variance at fixed weights (PADA.md §5): at the
// weights of an epoch's end, Draws (path, batch) pairs drawn from the
// run's samplers (the distributions the next epoch draws from), each
// estimator's mean squared distance from the uniform-average gradient,
// estimated from as many uniform draws at the same weights (the noise of
// that estimate subtracted, so small values can come out below 0). All
// three are divided by the supernet's parameter count.
type GVFixed struct {
	Draws int `json:"draws"`
	// Weighted is the importance-weighted estimator's, with the
	// theory's weights 1/(N q_i) per sample and 1/(|A| p_alpha) per path,
	// uncapped: an unbiased estimator of the uniform average.
	Weighted float64 `json:"weighted"`
	// Unweighted is the reference code's estimator (no weights): its
	// variance plus its squared bias.
	Unweighted float64 `json:"unweighted"`
	// Uniform is uniform sampling's variance at the same weights; for a
	// uniform run all three figures are this one.
	Uniform float64 `json:"uniform"`
	Seconds float64 `json:"seconds"` // what the probe cost, included in Epoch.Seconds
}

// RankProgress reports architectures evaluated so far.
type RankProgress struct {
	Done  int     `json:"done"`
	Total int     `json:"total"`
	Arch  string  `json:"arch"`  // the last one evaluated
	Pred  float64 `json:"pred"`  // its accuracy with inherited weights, percent
	Truth float64 `json:"truth"` // its ground-truth accuracy (NaN-free: -1 if unknown)
	Tau   float64 `json:"tau"`   // Kendall tau-b so far (0 until two are known)
}

// Done closes a run.
type Done struct {
	Tau          float64 `json:"tau"`
	Rho          float64 `json:"rho"`
	Top10        float64 `json:"top10"` // precision of the true top 10% in the predicted top 10%
	Archs        int     `json:"archs"`
	TrainSeconds float64 `json:"train_seconds"`
	RankSeconds  float64 `json:"rank_seconds"`
	FinalValAcc  float64 `json:"final_val_acc"`
	Assessment
}

// Assessment is what a ranking's tau means: its uncertainty, what free
// proxies score on the same architectures, and what is left of it within
// groups of equal cost. Intervals are 95% percentile bootstraps over the
// ranked architectures with a truth, seeded with the run seed
// (stat.Bootstrap). Every field is absent where it is undefined (fewer
// than 3 architectures with a truth, a constant side).
type Assessment struct {
	TauCI *stat.Interval `json:"tau_ci,omitempty"`
	// Baselines rank the same architectures by a free proxy (one that
	// needs no training), in the order "params", "flops", "convs"; a
	// supernet must beat them to be worth training. The proxies have many
	// ties (all 6-edge cells with the same convolutions share params and
	// FLOPs): tau-b counts them.
	Baselines []Baseline `json:"baselines,omitempty"`
	// WithinConvs is tau within groups of equal convolution count, and
	// WithinParams within groups of equal parameter count (equal numbers
	// of 1x1 and 3x3 convolutions), each over groups of at least
	// stat.MinGroup architectures, weighted by pairs: the part of the
	// ranking that the proxy cannot explain.
	WithinConvs  *WithinTau `json:"within_convs,omitempty"`
	WithinParams *WithinTau `json:"within_params,omitempty"`
}

// Baseline is the Kendall tau-b of ranking by a free proxy.
type Baseline struct {
	Name string        `json:"name"` // "params", "flops" or "convs"
	Tau  float64       `json:"tau"`
	CI   stat.Interval `json:"ci"`
	// VsSupernet is the supernet's tau minus this one (a paired bootstrap
	// over the same architectures); its verdict "higher" means the
	// supernet beats the proxy beyond the noise.
	VsSupernet stat.Diff `json:"vs_supernet"`
}

// WithinTau is stat.Within with its interval.
type WithinTau struct {
	stat.Within
	CI stat.Interval `json:"ci"`
}
