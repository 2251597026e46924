package ui

import (
	"encoding/json"

	"pada/core/run"
	"pada/core/space"
	"pada/wasm/msg"
)

// Status of a run as the page shows it.
const (
	StatusLoading = "loading"
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusRanking = "ranking"
	StatusDone    = "done"
	StatusError   = "error"
	StatusStopped = "stopped"
)

// Point is one sample of a training curve.
type Point struct {
	Step int
	Loss float64
	Acc  float64
}

// RankPoint is one architecture evaluated with inherited weights.
type RankPoint struct {
	Arch        string
	Pred, Truth float64 // percent; Truth -1 when unknown
}

// Run is what one worker's events add up to.
type Run struct {
	Sampler string // a Samplers name
	Color   string
	Status  string
	Err     string // the error that ended the run
	Field   string // the config field the error names, if any

	Config   run.Config  // what the page asked for (Started.Config once it arrives)
	Events   []run.Event // every event, for the run's JSON export
	NativeID string      // the run's id on the native server ("" for a tab run)
	Weights  string      // "", "asked" or an error from the worker's weights export

	Started *run.Started
	Points  []Point
	Epochs  []run.Epoch
	Ranked  []RankPoint
	Tau     float64
	Done    *run.Done
	Step    *run.Step // the latest step event

	Thumbs map[int][]byte
	Labels map[int]int
	TC     int
	TH     int
	TW     int

	Mem       int64   // worker memory, bytes
	Images    int     // images trained
	Busy      float64 // seconds spent training
	FirstStep float64 // page seconds when the first step event arrived (0: none yet)
}

// Colors are the runs' colours, in order (colour-blind safe, Okabe-Ito).
var Colors = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7"}

// NewRun is a run about to start.
func NewRun(sampler string, i int) *Run {
	return &Run{Sampler: sampler, Color: Colors[i%len(Colors)], Status: StatusLoading}
}

// Space is the search space the run trains over: the one named in its
// started event's config (what the worker or server actually ran), the
// page's request before that arrives, nb201 where neither names a known
// one (a run from before spaces were named).
func (r *Run) Space() *space.Space {
	c := r.Config
	if r.Started != nil {
		c = r.Started.Config
	}
	if sp, err := c.SearchSpace(); err == nil {
		return sp
	}
	return space.NB201Cell
}

// Label is the run's display name.
func (r *Run) Label() string { return SamplerLabel(r.Sampler) }

// ApplyBatch adds a worker's batch (its JSON text) to the run.
func (r *Run) ApplyBatch(text string) error {
	var b msg.Batch
	if err := json.Unmarshal([]byte(text), &b); err != nil {
		return err
	}
	r.Apply(b)
	return nil
}

// Apply adds a batch.
func (r *Run) Apply(b msg.Batch) {
	r.Mem, r.Images, r.Busy = b.Mem, b.Images, b.Busy
	if len(b.Thumbs) > 0 {
		if r.Thumbs == nil {
			r.Thumbs, r.Labels = map[int][]byte{}, map[int]int{}
		}
		for id, px := range b.Thumbs {
			r.Thumbs[id] = px
			r.Labels[id] = b.Labels[id]
		}
		r.TC, r.TH, r.TW = b.C, b.H, b.W
	}
	for _, e := range b.Events {
		r.Event(e)
	}
}

// Event adds one event.
func (r *Run) Event(e run.Event) {
	r.Events = append(r.Events, e)
	switch e.Type {
	case run.TypeStarted:
		r.Started = e.Started
		if r.Status == StatusLoading {
			r.Status = StatusRunning
		}
	case run.TypeStep:
		s := *e.Step
		r.Step = &s
		r.Points = append(r.Points, Point{s.Step, s.Loss, s.Acc})
	case run.TypeEpoch:
		r.Epochs = append(r.Epochs, *e.Epoch)
	case run.TypeRank:
		p := e.Rank
		r.Ranked = append(r.Ranked, RankPoint{p.Arch, p.Pred, p.Truth})
		r.Tau = p.Tau
		if r.Status == StatusRunning {
			r.Status = StatusRanking
		}
	case run.TypeDone:
		d := *e.Done
		r.Done = &d
		r.Tau = d.Tau
		r.Status = StatusDone
	case run.TypeError:
		r.Err = e.Error
		r.Status = StatusError
	}
}

// HasTruth reports whether any ranked architecture has a ground truth.
func (r *Run) HasTruth() bool {
	for _, p := range r.Ranked {
		if p.Truth >= 0 {
			return true
		}
	}
	return false
}

// Progress is the fraction of the run's work done, in [0, 1].
func (r *Run) Progress() float64 {
	s := r.Started
	if s == nil {
		return 0
	}
	if r.Done != nil {
		return 1
	}
	total := float64(s.Config.Epochs*s.StepsPerEpoch + s.Archs)
	done := float64(len(r.Ranked))
	if len(r.Ranked) > 0 {
		done = float64(s.Config.Epochs*s.StepsPerEpoch) + float64(len(r.Ranked))
	} else if r.Step != nil {
		done = float64(r.Step.Step)
	}
	if total <= 0 {
		return 0
	}
	return min(1, done/total)
}

// ImagesPerSecond is the worker's training throughput.
func (r *Run) ImagesPerSecond() float64 {
	if r.Busy > 0 {
		return float64(r.Images) / r.Busy
	}
	// A native run reports no counters: use its finished epochs.
	if r.Started == nil || len(r.Epochs) == 0 {
		return 0
	}
	var sec float64
	for _, e := range r.Epochs {
		sec += e.Seconds
	}
	if sec <= 0 {
		return 0
	}
	return float64(r.Started.TrainImages*len(r.Epochs)) / sec
}
