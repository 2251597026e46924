package train

import (
	"io"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// Inputs are what the callers that assemble a run differ in: the data
// files (read however the caller reads them), how to read the
// ground-truth table, the backend the supernet computes on and the name
// the Started event gives it.
type Inputs struct {
	Train, Eval *data.Set // the data files; Eval may be nil (see BuildSets)
	// Truth reads the ground-truth table cfg.Eval.Truth names; nil, or a
	// nil table, for none. It is called once the splits are built, so a
	// Config wrong in both is reported by its shape first.
	Truth       func() (*groundtruth.Table, error)
	Backend     nn.Backend
	BackendName string
}

// Prepared is a run assembled from a Config and its Inputs, ready to
// start (Start) or to continue from a snapshot (Resume). Its fields may
// be changed before either: weights loaded into Net, Truth replaced.
type Prepared struct {
	Config  run.Config
	Sets    Sets
	Archs   []space.Arch
	Truth   Truth
	Net     *supernet.Net // initialised from Config.Seed
	Backend string
}

// Prepare assembles a run of cfg: the splits (BuildSets), the
// architectures to rank with their truth (SelectArchsIn) and the supernet
// of cfg's space on in.Backend, initialised from the run seed. An error
// is a *run.AtField naming the Config field at fault ("shape",
// "eval.truth", "space", "eval.archs"); its text is the cause's.
func Prepare(cfg run.Config, in Inputs) (*Prepared, error) {
	sets, err := BuildSets(cfg, in.Train, in.Eval)
	if err != nil {
		return nil, &run.AtField{Field: "shape", Err: err}
	}
	var table *groundtruth.Table
	if in.Truth != nil {
		if table, err = in.Truth(); err != nil {
			return nil, &run.AtField{Field: "eval.truth", Err: err}
		}
	}
	sp, err := cfg.SearchSpace()
	if err != nil {
		return nil, &run.AtField{Field: "space", Err: err}
	}
	archs, truth, err := SelectArchsIn(sp, cfg.Eval, cfg.Seed, table)
	if err != nil {
		return nil, &run.AtField{Field: "eval.archs", Err: err}
	}
	net, err := supernet.NewSpace(sp, cfg.Shape, in.Backend)
	if err != nil {
		return nil, &run.AtField{Field: "shape", Err: err}
	}
	net.Init(cfg.Seed)
	return &Prepared{Config: cfg, Sets: sets, Archs: archs, Truth: truth, Net: net, Backend: in.BackendName}, nil
}

// Open prepares a run of cfg and starts it (Prepare, then Start).
func Open(cfg run.Config, in Inputs, emit func(run.Event)) (*Session, error) {
	p, err := Prepare(cfg, in)
	if err != nil {
		return nil, err
	}
	return p.Start(emit)
}

// Start opens a fresh session of the run; it emits the Started event.
func (p *Prepared) Start(emit func(run.Event)) (*Session, error) {
	return NewSession(p.Config, p.Net, p.Sets, p.Archs, p.Truth, p.Backend, emit)
}

// Resume continues the run from a snapshot written by Session.Save (see
// the function Resume for what must match).
func (p *Prepared) Resume(snapshot io.Reader, emit func(run.Event)) (*Session, error) {
	return Resume(snapshot, p.Config, p.Net, p.Sets, p.Archs, p.Truth, p.Backend, emit)
}
