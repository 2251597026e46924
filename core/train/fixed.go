package train

import (
	"pada/core/data"
	"pada/core/run"
	"pada/core/sampler"
	"pada/core/supernet"
)

// NewTrainerWithPath is NewTrainer with path in place of the path sampler
// cfg names (cfg.Sampler.Path must still be valid; it is ignored). With a
// sampler.Fixed path it trains one architecture stand-alone, as
// Standalone does for the ground-truth tables.
func NewTrainerWithPath(cfg run.Config, net *supernet.Net, train, val data.Images, path sampler.Path) (*Trainer, error) {
	t, err := NewTrainer(cfg, net, train, val)
	if err != nil {
		return nil, err
	}
	t.path = path
	return t, nil
}
