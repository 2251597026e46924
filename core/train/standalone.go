package train

import (
	"context"
	"fmt"
	"time"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
	"pada/core/supernet"
)

// Standalone trains fresh networks of single architectures on one
// backend, one at a time, for ground-truth tables: each run is this
// package's Trainer on a supernet with a sampler.Fixed path, which is
// exactly the stand-alone network, seeded by the run's seed (the initial
// weights and the batch order, both independent of the architecture, so
// that every architecture of one seed sees the same batches). It is a
// groundtruth.Trainer.
type Standalone struct {
	cfg   run.Config
	net   *supernet.Net
	train data.Images
	ev    *rank.Evaluator
}

// NewStandalone prepares stand-alone training under cfg (its shape,
// epochs and optimiser; cfg.Seed is not used) on be, with training images
// train and evaluation images eval (the first cfg.Eval.Images of them, or
// all).
func NewStandalone(cfg run.Config, be nn.Backend, train, eval data.Images) (*Standalone, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if train == nil || train.Len() < 2 {
		return nil, fmt.Errorf("groundtruth: stand-alone training needs at least 2 training images")
	}
	if eval == nil || eval.Len() == 0 {
		return nil, fmt.Errorf("groundtruth: stand-alone training needs evaluation images")
	}
	sp, err := cfg.SearchSpace()
	if err != nil {
		return nil, err
	}
	net, err := supernet.NewSpace(sp, cfg.Shape, be)
	if err != nil {
		return nil, err
	}
	return &Standalone{cfg: cfg, net: net, train: train, ev: rank.NewEvaluator(net, eval, cfg.Eval.Images)}, nil
}

// StandaloneFor makes the trainers of a groundtruth.Builder of cfg, one
// a backend, on train and eval.
func StandaloneFor(cfg run.Config, train, eval data.Images) func(nn.Backend) (groundtruth.Trainer, error) {
	return func(be nn.Backend) (groundtruth.Trainer, error) {
		s, err := NewStandalone(cfg, be, train, eval)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// Net is the network trained last; its weights are those of the last
// architecture after Train returns.
func (s *Standalone) Net() *supernet.Net { return s.net }

// Train trains a fresh network of architecture a from seed and measures
// its accuracy. Train stops between two steps when ctx is done.
func (s *Standalone) Train(ctx context.Context, a space.Arch, seed uint64) (groundtruth.Result, error) {
	start := time.Now()
	c := s.cfg
	c.Seed = seed
	// A stand-alone network sees its data in uniform order, unweighted,
	// whatever data sampler the schedule's Config names.
	c.Sampler.Data, c.Sampler.Unbiased = "uniform", false
	s.net.Init(seed)
	t, err := NewTrainerWithPath(c, s.net, s.train, nil, sampler.Fixed{Arch: a, Space: s.net.Space()})
	if err != nil {
		return groundtruth.Result{}, err
	}
	t.SetProbeDraws(0)
	for !t.Done() {
		if err := ctx.Err(); err != nil {
			return groundtruth.Result{}, err
		}
		t.Step()
	}
	if err := ctx.Err(); err != nil {
		return groundtruth.Result{}, err
	}
	return groundtruth.Result{Acc: s.ev.Accuracy(a), Seconds: time.Since(start).Seconds()}, nil
}
