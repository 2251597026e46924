// Package ui is the page: a vugu app (root.vugu) that races supernet
// trainings in Web Workers and draws what happens as inline SVG.
//
// The files without a build tag are plain Go and tested natively: State
// (the single source of truth, round-tripping through the URL hash),
// Run (what a run's events add up to) and the SVG charts. The files
// tagged js talk to the browser.
package ui

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"pada/core/run"
)

// Samplers are the sampler choices a race can use, by name.
var Samplers = []struct {
	Name, Label string
	Path, Data  string
}{
	{"uniform", "Uniform (SPOS)", "uniform", "uniform"},
	{"pada", "PA&DA", "pa", "da"},
	{"pa", "PA only (paths)", "pa", "uniform"},
	{"da", "DA only (data)", "uniform", "da"},
	{"fairnas", "FairNAS", "fairnas", "uniform"},
}

// SamplerLabel is the display name of a sampler choice.
func SamplerLabel(name string) string {
	for _, s := range Samplers {
		if s.Name == name {
			return s.Label
		}
	}
	return name
}

// Limits keep a run inside what a browser tab can train in class time.
const (
	MaxRuns       = 4
	MaxEpochs     = 50
	MinBatch      = 8
	MaxBatch      = 256
	MinChannels   = 2
	MaxChannels   = 16
	MaxCells      = 3
	MaxTrain      = 8000 // the default dataset's training images
	MinTrain      = 200
	MaxArchs      = 1000
	MinEvalImages = 20
	MaxEvalImages = 2000
)

// State is everything the controls set. It round-trips through the URL
// hash, so a link reproduces a race, seed included.
type State struct {
	Runs       []string // sampler names, one worker each
	Epochs     int
	Batch      int
	LR         float64
	Seed       uint64
	Channels   int
	Cells      int
	Train      int // training images used (0 = all)
	Archs      int // architectures ranked after training
	EvalImages int // images each architecture is evaluated on
	PerEdge    bool
	Unbiased   bool
	Backend    string // where runs train: "tab" (Web Workers) or "native" (the serve process)
	Embed      bool   // hide the controls (for embedding in a blog post)
	Auto       bool   // start the race as soon as the page is ready
	// Config, when set, is a pasted Config JSON used as the base of every
	// run instead of the preset (the sampler still comes from Runs).
	Config string
}

// Default is the race a teacher gets by pressing one button: the mini
// preset's network and optimiser, cut to fit a lesson. Two workers on a
// 2-core machine train about 175 images per second each, so the preset's
// 10 epochs of 7,200 images and 100 architectures ranked on 1,000 images
// take about 10 minutes; 6 epochs of 3,600 images (4,000 less the
// validation tenth) and 50 architectures take about 3.5. The full preset
// is one link away (#epochs=10&train=0&archs=100).
func Default() State {
	p, _ := run.Preset("mini")
	return State{
		Runs: []string{"uniform", "pada"}, Epochs: 6, Batch: p.Shape.Batch, LR: p.LR, Seed: p.Seed,
		Channels: p.Shape.C, Cells: p.Shape.N, Train: 4000, Archs: 50, EvalImages: p.Eval.Images,
		Backend: "tab",
	}
}

// Hash encodes the state as a URL fragment (without '#'), listing only
// what differs from Default.
func (s State) Hash() string {
	d := Default()
	v := url.Values{}
	if !slices.Equal(s.Runs, d.Runs) {
		v.Set("runs", strings.Join(s.Runs, ","))
	}
	setInt := func(k string, x, def int) {
		if x != def {
			v.Set(k, strconv.Itoa(x))
		}
	}
	setInt("epochs", s.Epochs, d.Epochs)
	setInt("batch", s.Batch, d.Batch)
	if s.LR != d.LR {
		v.Set("lr", strconv.FormatFloat(s.LR, 'g', -1, 64))
	}
	if s.Seed != d.Seed {
		v.Set("seed", strconv.FormatUint(s.Seed, 10))
	}
	setInt("c", s.Channels, d.Channels)
	setInt("n", s.Cells, d.Cells)
	setInt("train", s.Train, d.Train)
	setInt("archs", s.Archs, d.Archs)
	setInt("evalimages", s.EvalImages, d.EvalImages)
	if s.PerEdge {
		v.Set("peredge", "1")
	}
	if s.Unbiased {
		v.Set("unbiased", "1")
	}
	if s.Backend != d.Backend {
		v.Set("backend", s.Backend)
	}
	if s.Embed {
		v.Set("embed", "1")
	}
	if s.Auto {
		v.Set("autostart", "1")
	}
	if s.Config != "" {
		v.Set("config", s.Config)
	}
	return v.Encode()
}

// ParseHash reads a URL fragment (with or without '#') into a State,
// starting from Default. Every value is validated; errs maps the control
// name (the hash key) to what is wrong, and a wrong value keeps its
// default.
func ParseHash(h string) (State, map[string]string) {
	s := Default()
	errs := map[string]string{}
	v, err := url.ParseQuery(strings.TrimPrefix(h, "#"))
	if err != nil {
		errs["hash"] = "the link's settings are malformed: " + err.Error()
		return s, errs
	}
	for k := range v {
		if err := s.Set(k, v.Get(k)); err != nil {
			errs[k] = err.Error()
		}
	}
	return s, errs
}

// Set changes one field from a control's text (the keys are the hash
// keys). On error the state is unchanged and the error says what is
// allowed.
func (s *State) Set(key, val string) error {
	val = strings.TrimSpace(val)
	intIn := func(dst *int, lo, hi int, what string) error {
		x, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("%s must be a whole number", what)
		}
		if x < lo || x > hi {
			return fmt.Errorf("%s must be between %d and %d", what, lo, hi)
		}
		*dst = x
		return nil
	}
	boolVal := func(dst *bool) error {
		switch val {
		case "1", "true", "on":
			*dst = true
		case "0", "false", "off", "":
			*dst = false
		default:
			return fmt.Errorf("want 1 or 0, not %q", val)
		}
		return nil
	}
	switch key {
	case "runs":
		var runs []string
		for _, r := range strings.Split(val, ",") {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			if !slices.ContainsFunc(Samplers, func(x struct{ Name, Label, Path, Data string }) bool { return x.Name == r }) {
				return fmt.Errorf("unknown sampler %q", r)
			}
			runs = append(runs, r)
		}
		if len(runs) < 1 || len(runs) > MaxRuns {
			return fmt.Errorf("choose between 1 and %d runs", MaxRuns)
		}
		s.Runs = runs
	case "epochs":
		return intIn(&s.Epochs, 1, MaxEpochs, "epochs")
	case "batch":
		return intIn(&s.Batch, MinBatch, MaxBatch, "batch")
	case "lr":
		x, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(x) {
			return fmt.Errorf("learning rate must be a number")
		}
		if x <= 0 || x > 1 {
			return fmt.Errorf("learning rate must be in (0, 1]")
		}
		s.LR = x
	case "seed":
		x, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return fmt.Errorf("seed must be a whole number from 0 to %d", uint32(math.MaxUint32))
		}
		s.Seed = x
	case "c":
		return intIn(&s.Channels, MinChannels, MaxChannels, "channels")
	case "n":
		return intIn(&s.Cells, 1, MaxCells, "cells per stage")
	case "train":
		if val == "0" || val == "all" {
			s.Train = 0
			return nil
		}
		return intIn(&s.Train, MinTrain, MaxTrain, "training images")
	case "archs":
		return intIn(&s.Archs, 5, MaxArchs, "architectures")
	case "evalimages":
		return intIn(&s.EvalImages, MinEvalImages, MaxEvalImages, "evaluation images")
	case "peredge":
		return boolVal(&s.PerEdge)
	case "unbiased":
		return boolVal(&s.Unbiased)
	case "backend":
		switch val {
		case "tab", "native":
			s.Backend = val
		default:
			return fmt.Errorf("backend must be tab or native, not %q", val)
		}
	case "embed":
		return boolVal(&s.Embed)
	case "autostart":
		return boolVal(&s.Auto)
	case "config":
		if val == "" {
			s.Config = ""
			return nil
		}
		if _, err := run.ParseConfig(strings.NewReader(val)); err != nil {
			return err
		}
		s.Config = val
	default:
		return fmt.Errorf("unknown setting %q", key)
	}
	return nil
}

// Configs are the run Configs of a race, one per entry of Runs. truth
// says whether the page has the default ground-truth table to send.
func (s State) Configs(truth bool) ([]run.Config, error) {
	base, _ := run.Preset("mini")
	if s.Config != "" {
		c, err := run.ParseConfig(strings.NewReader(s.Config))
		if err != nil {
			return nil, err
		}
		base = c
	} else {
		base.Epochs = s.Epochs
		base.Shape.Batch = s.Batch
		base.LR = s.LR
		base.Seed = s.Seed
		base.Shape.C = s.Channels
		base.Shape.N = s.Cells
		base.Data.Train = s.Train
		base.Eval.Archs = fmt.Sprintf("sample:%d", s.Archs)
		base.Eval.Images = s.EvalImages
		base.Eval.Truth = ""
		if truth {
			base.Eval.Truth = "default"
		}
		// About 150 step events per run keep charts smooth without
		// flooding the page (the worker batches them by time anyway), and
		// the first one arrives after a step or two, not after 2% of the
		// run, so a class sees training start at once.
		n := s.Train
		if n == 0 {
			n = MaxTrain
		}
		steps := max(1, int(float64(n)*(1-base.Data.ValFrac))/s.Batch) * s.Epochs
		base.Events.StepEvery = max(1, steps/150)
	}
	var out []run.Config
	for _, r := range s.Runs {
		c := base
		for _, x := range Samplers {
			if x.Name == r {
				c.Sampler.Path, c.Sampler.Data = x.Path, x.Data
			}
		}
		if s.PerEdge {
			c.Sampler.PathMode = "per-edge"
		}
		c.Sampler.Unbiased = c.Sampler.Unbiased || s.Unbiased
		if err := c.Validate(); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
