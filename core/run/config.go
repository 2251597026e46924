// Package run is the one protocol every front end speaks: a versioned
// Config in, a stream of Events out. The browser worker, the native server
// and the command line all build runs from a Config and report them as
// Events, so the UI never needs to know which backend produced a number.
package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"pada/core/space"
)

// Version is the Config format this code reads and writes.
const Version = 1

// Config is everything that determines a run. The same Config and seed give
// the same numbers on the same backend.
type Config struct {
	Version     int         `json:"version"`
	Preset      string      `json:"preset,omitempty"` // informational: the preset it started from
	Shape       space.Shape `json:"shape"`
	Data        Data        `json:"data"`
	Epochs      int         `json:"epochs"`
	LR          float64     `json:"lr"`
	Momentum    float64     `json:"momentum"`
	WeightDecay float64     `json:"weight_decay"`
	Clip        float64     `json:"clip"` // global gradient-norm clipping; 0 = off
	Seed        uint64      `json:"seed"`
	Sampler     Sampler     `json:"sampler"`
	Eval        Eval        `json:"eval"`
	Events      Events      `json:"events"`
}

// Data selects the dataset and how it is split.
type Data struct {
	// Name is one of DataNames: "fashion16" is the embedded default
	// (Fashion-MNIST at 16x16); the others read files from Dir, except
	// "synthetic" (seeded noise, for tests and benchmarks).
	Name    string  `json:"name"`
	Dir     string  `json:"dir,omitempty"`
	Train   int     `json:"train,omitempty"` // use at most this many training images (0 = all)
	ValFrac float64 `json:"val_frac"`        // fraction of the training images held out for validation
	Augment bool    `json:"augment"`         // random crop (padding 4) and horizontal flip
}

// DataNames are the datasets a Config may name.
var DataNames = []string{"fashion16", "fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic"}

// Sampler selects how paths and training data are drawn.
type Sampler struct {
	Path     string `json:"path"`      // one of PathSamplers
	PathMode string `json:"path_mode"` // for "pa": one of PathModes
	Data     string `json:"data"`      // one of DataSamplers
	// Unbiased weights each sample's loss by 1/(N q_i) and the step by
	// 1/(|A| p_alpha), normalised to mean 1 over the batch; the reference
	// code applies no weights.
	Unbiased bool `json:"unbiased"`
}

// Allowed values of the Sampler fields.
var (
	PathSamplers = []string{"uniform", "fairnas", "pa"}
	PathModes    = []string{"reference", "per-edge"}
	DataSamplers = []string{"uniform", "da"}
)

// Eval selects how the trained supernet is ranked.
type Eval struct {
	// Split is "eval" (the held-out evaluation set) or "val" (the
	// validation part of the training set).
	Split string `json:"split"`
	// Images caps the number of images each architecture is evaluated on
	// (0 = the whole split).
	Images int `json:"images,omitempty"`
	// Truth is the ground-truth table: "default" for the one shipped for
	// the default preset, a path to a CSV, or "" for none (no Kendall tau).
	Truth string `json:"truth,omitempty"`
	// Archs is which architectures to rank: "truth" (every row of the
	// table), "all" (15,625), "unique" (one per isomorphism class),
	// "sample:K" (K drawn with the run seed from the table's isomorphism
	// classes, or from all 6,466 classes without a table), or "list".
	Archs string `json:"archs"`
	// List holds NB201 arch strings when Archs is "list".
	List []string `json:"list,omitempty"`
}

// Events sets how often step events are emitted.
type Events struct {
	StepEvery int `json:"step_every"` // emit a step event every this many steps
}

// Preset returns a named preset: "mini" (the in-browser default) or
// "nb201" (the paper's settings on CIFAR-10).
func Preset(name string) (Config, error) {
	c := Config{
		Version: Version, Preset: name,
		LR: 0.05, Momentum: 0.9, WeightDecay: 2.5e-4, Clip: 5,
		Sampler: Sampler{Path: "uniform", PathMode: "reference", Data: "uniform"},
		Events:  Events{StepEvery: 10},
	}
	switch name {
	case "mini":
		c.Shape = space.Mini
		c.Data = Data{Name: "fashion16", ValFrac: 0.1}
		c.Epochs = 10
		// Rank a seeded sample of the classes in the shipped ground-truth
		// table (public/data/groundtruth-mini.csv), each on the first
		// 1,000 evaluation images: the table is measured on all 10,000,
		// but a supernet's inherited-weight accuracy is a cheap proxy.
		c.Eval = Eval{Split: "eval", Archs: "sample:100", Images: 1000, Truth: "default"}
	case "nb201":
		c.Shape = space.NB201
		c.Data = Data{Name: "cifar10", Dir: "cifar-10-batches-bin", ValFrac: 0.5, Augment: true}
		c.Epochs = 250
		// The NAS-Bench-201 table is not shipped: the user points at a copy.
		c.Eval = Eval{Split: "val", Archs: "truth", Truth: "nats_bench_tss.csv"}
		c.Events.StepEvery = 50
	default:
		return Config{}, fmt.Errorf("preset %q: want one of mini, nb201", name)
	}
	return c, nil
}

// ParseConfig reads a JSON Config, rejecting unknown fields, and validates it.
func ParseConfig(r io.Reader) (Config, error) {
	var c Config
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return c, fmt.Errorf("config: JSON syntax error at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return c, fmt.Errorf("config: field %q at byte %d: want %s, got %s", te.Field, te.Offset, te.Type, te.Value)
		}
		return c, fmt.Errorf("config: %w", err)
	}
	if dec.More() {
		return c, errors.New("config: trailing data after the JSON object")
	}
	return c, c.Validate()
}

// FieldError names the Config field that is wrong.
type FieldError struct {
	Field string // JSON path, e.g. "sampler.path"
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("config: %s: %s", e.Field, e.Msg) }

func oneOf(field, v string, allowed []string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return &FieldError{field, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))}
}

// Validate reports the first field that is out of range, naming it and
// what it allows.
func (c Config) Validate() error {
	if c.Version != Version {
		return &FieldError{"version", fmt.Sprintf("%d is not supported; this build reads version %d", c.Version, Version)}
	}
	if err := c.Shape.Validate(); err != nil {
		return &FieldError{"shape", err.Error()}
	}
	if err := oneOf("data.name", c.Data.Name, DataNames); err != nil {
		return err
	}
	switch {
	case c.Data.ValFrac < 0 || c.Data.ValFrac >= 1:
		return &FieldError{"data.val_frac", fmt.Sprintf("%v is outside [0, 1)", c.Data.ValFrac)}
	case c.Data.Train < 0:
		return &FieldError{"data.train", fmt.Sprintf("%d is negative", c.Data.Train)}
	case c.Epochs < 1 || c.Epochs > 100000:
		return &FieldError{"epochs", fmt.Sprintf("%d is outside [1, 100000]", c.Epochs)}
	case !(c.LR > 0 && c.LR <= 10):
		return &FieldError{"lr", fmt.Sprintf("%v is outside (0, 10]", c.LR)}
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return &FieldError{"momentum", fmt.Sprintf("%v is outside [0, 1)", c.Momentum)}
	case !(c.WeightDecay >= 0 && c.WeightDecay <= 1):
		return &FieldError{"weight_decay", fmt.Sprintf("%v is outside [0, 1]", c.WeightDecay)}
	case !(c.Clip >= 0 && c.Clip <= 1e6):
		return &FieldError{"clip", fmt.Sprintf("%v is outside [0, 1e6] (0 turns clipping off)", c.Clip)}
	}
	if err := oneOf("sampler.path", c.Sampler.Path, PathSamplers); err != nil {
		return err
	}
	if err := oneOf("sampler.path_mode", c.Sampler.PathMode, PathModes); err != nil {
		return err
	}
	if err := oneOf("sampler.data", c.Sampler.Data, DataSamplers); err != nil {
		return err
	}
	if err := oneOf("eval.split", c.Eval.Split, []string{"eval", "val"}); err != nil {
		return err
	}
	if c.Eval.Split == "val" && c.Data.ValFrac == 0 {
		return &FieldError{"eval.split", `"val" needs data.val_frac > 0`}
	}
	if c.Eval.Images < 0 {
		return &FieldError{"eval.images", fmt.Sprintf("%d is negative", c.Eval.Images)}
	}
	if err := c.validateArchs(); err != nil {
		return err
	}
	if c.Events.StepEvery < 1 {
		return &FieldError{"events.step_every", fmt.Sprintf("%d must be at least 1", c.Events.StepEvery)}
	}
	return nil
}

func (c Config) validateArchs() error {
	a := c.Eval.Archs
	switch {
	case a == "truth" || a == "all" || a == "unique":
	case strings.HasPrefix(a, "sample:"):
		var k int
		if _, err := fmt.Sscanf(a, "sample:%d", &k); err != nil || k < 1 || fmt.Sprintf("sample:%d", k) != a {
			return &FieldError{"eval.archs", fmt.Sprintf("%q: want sample:K with K >= 1", a)}
		}
	case a == "list":
		if len(c.Eval.List) == 0 {
			return &FieldError{"eval.list", `is empty but eval.archs is "list"`}
		}
		for i, s := range c.Eval.List {
			if _, err := space.Parse(s); err != nil {
				return &FieldError{fmt.Sprintf("eval.list[%d]", i), err.Error()}
			}
		}
	default:
		return &FieldError{"eval.archs", fmt.Sprintf("%q is not one of truth, all, unique, sample:K, list", a)}
	}
	if a == "truth" && c.Eval.Truth == "" {
		return &FieldError{"eval.truth", fmt.Sprintf("eval.archs %q needs a ground-truth table", a)}
	}
	return nil
}
