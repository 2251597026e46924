// Package run is the one protocol every front end speaks: a versioned
// Config in, a stream of Events out. The browser worker, the native server
// and the command line all build runs from a Config and report them as
// Events, so the UI never needs to know which backend produced a number.
package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"pada/core/space"
)

// Version is the Config format this code writes. It also reads version 1
// (no space field: NB201), migrating it on read (Config.UnmarshalJSON).
const Version = 2

// DefaultSpace is the search space of a Config that names none, and of
// every version-1 Config.
const DefaultSpace = "nb201"

// Config is everything that determines a run. The same Config and seed give
// the same numbers on the same backend.
type Config struct {
	Version int    `json:"version"`
	Preset  string `json:"preset,omitempty"` // informational: the preset it started from
	// Space is the search space, one of space.Names(): "nb201" (the
	// default) or "nb201-small".
	Space       string      `json:"space"`
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
	// table), "all" (every architecture of the space: 15,625 in NB201),
	// "unique" (one per isomorphism class), "sample:K" (K drawn with the
	// run seed from the table's isomorphism classes, or from all the
	// space's classes without a table), or "list".
	Archs string `json:"archs"`
	// List holds arch strings of the space when Archs is "list".
	List []string `json:"list,omitempty"`
}

// Events sets how often step events are emitted.
type Events struct {
	StepEvery int `json:"step_every"` // emit a step event every this many steps
}

// Preset returns a named preset: "mini" (the CLI's small budget), "race"
// (the page's default race) or "nb201" (the paper's settings on
// CIFAR-10).
func Preset(name string) (Config, error) {
	c := Config{
		Version: Version, Preset: name, Space: DefaultSpace,
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
	case "race":
		// The page's default race (ui.Default builds from this preset):
		// the mini network and optimiser at a budget chosen by
		// measurement (bench/race, README "The default race") to give a
		// clearly positive tau on every seed in about three minutes in a
		// browser tab. It ranks a fixed set of 40 classes spread evenly
		// over the shipped table's accuracy range (train.Stratified:
		// `go run ./bench/race -list 40`), each on 2,000 evaluation
		// images: a seeded sample of a few dozen often misses the tails,
		// and then tau is mostly noise.
		c.Shape = space.Mini
		c.Data = Data{Name: "fashion16", Train: 8000, ValFrac: 0.1}
		c.Epochs = 10
		c.Eval = Eval{Split: "eval", Archs: "list", Images: 2000, Truth: "default", List: []string{
			"|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|",                                         // 10.00%
			"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|avg_pool_3x3~1|avg_pool_3x3~2|", // 80.75%
			"|skip_connect~0|+|none~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|",         // 81.58%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|none~0|none~1|avg_pool_3x3~2|",                 // 82.04%
			"|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|",                 // 82.55%
			"|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_1x1~2|",                 // 82.94%
			"|nor_conv_1x1~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|avg_pool_3x3~1|avg_pool_3x3~2|", // 83.14%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_1x1~2|", // 83.37%
			"|nor_conv_1x1~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|avg_pool_3x3~1|avg_pool_3x3~2|", // 83.47%
			"|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|", // 83.53%
			"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|",                 // 83.66%
			"|skip_connect~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|nor_conv_1x1~2|",         // 83.72%
			"|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_3x3~2|",         // 83.78%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",         // 83.85%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|avg_pool_3x3~0|avg_pool_3x3~1|nor_conv_3x3~2|", // 83.93%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|skip_connect~2|", // 83.99%
			"|avg_pool_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_1x1~2|",         // 84.06%
			"|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_1x1~2|",         // 84.13%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|avg_pool_3x3~1|skip_connect~2|", // 84.19%
			"|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_1x1~1|avg_pool_3x3~2|", // 84.24%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_1x1~2|", // 84.29%
			"|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|avg_pool_3x3~2|", // 84.36%
			"|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|avg_pool_3x3~2|", // 84.41%
			"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",         // 84.48%
			"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|", // 84.55%
			"|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|", // 84.61%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", // 84.68%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|avg_pool_3x3~2|", // 84.72%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", // 84.77%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|nor_conv_3x3~0|nor_conv_3x3~1|avg_pool_3x3~2|",         // 84.83%
			"|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|", // 84.89%
			"|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|",         // 84.94%
			"|nor_conv_1x1~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|", // 84.99%
			"|none~0|+|nor_conv_3x3~0|none~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|",                         // 85.04%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_1x1~2|", // 85.11%
			"|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",         // 85.17%
			"|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",                 // 85.29%
			"|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|",         // 85.42%
			"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", // 85.54%
			"|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", // 86.06%
		}}
		// About 150 step events, as the page asks for (ui.State.base).
		c.Events.StepEvery = 7
	case "nb201":
		c.Shape = space.NB201
		c.Data = Data{Name: "cifar10", Dir: "cifar-10-batches-bin", ValFrac: 0.5, Augment: true}
		c.Epochs = 250
		// The NAS-Bench-201 table is not shipped: the user points at a copy.
		c.Eval = Eval{Split: "val", Archs: "truth", Truth: "nats_bench_tss.csv"}
		c.Events.StepEvery = 50
	default:
		return Config{}, fmt.Errorf("preset %q: want one of mini, nb201, race", name)
	}
	return c, nil
}

// UnmarshalJSON reads a Config of any version this build knows, rejecting
// unknown fields, and migrates it to Version: a version-1 Config names no
// space and means NB201. Every decoder of Configs (files, the run API, the
// store, events, snapshots, links) goes through it, so old ones read
// everywhere.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config // without this method
	// Decode over c's current value, as encoding/json does: the run API
	// decodes a partial Config over a preset.
	p := plain(*c)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	if p.Version == 1 {
		if p.Space != "" && p.Space != DefaultSpace {
			return &FieldError{"space", fmt.Sprintf("%q in a version 1 config, which has no space field (version 1 is nb201)", p.Space)}
		}
		p.Version, p.Space = Version, DefaultSpace
	}
	*c = Config(p)
	return nil
}

// SearchSpace is the space the Config names ("" is DefaultSpace).
func (c Config) SearchSpace() (*space.Space, error) {
	sp, err := space.Lookup(c.Space)
	if err != nil {
		return nil, &FieldError{"space", err.Error()}
	}
	return sp, nil
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
	if len(c.Space) > MaxNameLen {
		return &FieldError{"space", fmt.Sprintf("is %d bytes long; at most %d", len(c.Space), MaxNameLen)}
	}
	if _, err := c.SearchSpace(); err != nil {
		return err
	}
	if err := c.validateCaps(); err != nil {
		return err
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
	return c.CheckBudget(MaxMemory)
}

func (c Config) validateArchs() error {
	a := c.Eval.Archs
	switch {
	case a == "truth" || a == "all" || a == "unique":
	case strings.HasPrefix(a, "sample:"):
		if _, ok := ParseSample(a); !ok {
			return &FieldError{"eval.archs", fmt.Sprintf("%q: want sample:K with K >= 1", a)}
		}
	case a == "list":
		if len(c.Eval.List) == 0 {
			return &FieldError{"eval.list", `is empty but eval.archs is "list"`}
		}
		sp, err := c.SearchSpace()
		if err != nil {
			return err
		}
		for i, s := range c.Eval.List {
			if _, err := sp.Parse(s); err != nil {
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

// Fixed caps on the Config's sizes. Every size a run allocates follows
// from these fields, so capping each one (and then the estimate) keeps a
// Config from asking for more memory than any machine has, and keeps the
// estimate's arithmetic far from overflow: the largest product of capped
// fields is below 2^62.
const (
	MaxInChannels = 16
	MaxSide       = 512 // shape.height and shape.width
	MaxChannels   = 1024
	MaxCells      = 32
	// MaxClasses is what a one-byte label holds (data.Set.Labels).
	MaxClasses   = 256
	MaxBatch     = 4096
	MaxEpochs    = 100000
	MaxImages    = 10_000_000 // data.train and eval.images
	MaxArchs     = 15625      // sample:K and eval.list: the whole space
	MaxStepEvery = 1 << 30
	MaxPathLen   = 4096 // data.dir and eval.truth
	MaxNameLen   = 64   // preset
	// MaxEvents bounds the events one run emits (they are stored and
	// streamed): about a gigabyte of JSON at most.
	MaxEvents = 1_000_000
	// MaxMemory is the estimate no Config may exceed on any machine; a
	// server passes its own, smaller budget to CheckBudget.
	MaxMemory = 64 << 30
)

// validateCaps checks every size field against its cap before anything
// multiplies them.
func (c Config) validateCaps() error {
	s := c.Shape
	for _, f := range []struct {
		field     string
		v, lo, hi int
	}{
		{"shape.in_channels", s.InC, 1, MaxInChannels},
		{"shape.height", s.H, 4, MaxSide},
		{"shape.width", s.W, 4, MaxSide},
		{"shape.channels", s.C, 1, MaxChannels},
		{"shape.cells", s.N, 1, MaxCells},
		{"shape.classes", s.Classes, 2, MaxClasses},
		{"shape.batch", s.Batch, 1, MaxBatch},
		{"data.train", c.Data.Train, 0, MaxImages},
		{"epochs", c.Epochs, 1, MaxEpochs},
		{"eval.images", c.Eval.Images, 0, MaxImages},
		{"eval.list", len(c.Eval.List), 0, MaxArchs},
		{"events.step_every", c.Events.StepEvery, 1, MaxStepEvery},
	} {
		if f.v < f.lo || f.v > f.hi {
			return &FieldError{f.field, fmt.Sprintf("%d is outside [%d, %d]", f.v, f.lo, f.hi)}
		}
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"preset", c.Preset, MaxNameLen}, {"space", c.Space, MaxNameLen}, {"data.dir", c.Data.Dir, MaxPathLen}, {"eval.truth", c.Eval.Truth, MaxPathLen}, {"eval.archs", c.Eval.Archs, MaxNameLen}} {
		if len(f.v) > f.max {
			return &FieldError{f.field, fmt.Sprintf("is %d bytes long; at most %d", len(f.v), f.max)}
		}
		if strings.ContainsRune(f.v, 0) {
			return &FieldError{f.field, "contains a NUL byte"}
		}
	}
	return nil
}

// Resources is what a run of a Config needs, estimated from the Config
// alone before anything is allocated.
type Resources struct {
	Params      int64 // supernet parameters
	ParamBytes  int64 // parameters, gradients, momentum, gradient-variance sums, a checkpoint and the weights file
	TrainBytes  int64 // one training batch: input, activations, their gradients, im2col scratch
	RankBytes   int64 // ranking: the architectures, their scores and a ground-truth table
	DataBytes   int64 // the images in memory: as read, resized, and the training and validation copies
	TrainImages int64 // images trained on per epoch
	Events      int64 // events the run emits
	Total       int64 // bytes of memory: the sum of the byte fields
}

// datasetSize is how many images a dataset has (training file, evaluation
// file) and their size as read. The synthetic one is made to measure.
func (c Config) datasetSize() (train, eval, c0, h0, w0 int64) {
	s := c.Shape
	switch c.Data.Name {
	case "fashion16":
		return 8000, 10000, 1, 16, 16
	case "fashion-mnist", "mnist":
		return 60000, 10000, 1, 28, 28
	case "cifar10", "cifar100":
		return 50000, 10000, 3, 32, 32
	}
	n := int64(max(c.Data.Train, 2000)) // serve's synthetic set: at least 2,000
	return n, n / 4, int64(s.InC), int64(s.H), int64(s.W)
}

// Estimate sizes a run of c. The numbers follow the buffers the engine
// allocates (core/supernet's layers, core/train's optimiser state,
// core/data's sets) with a margin; they are meant to refuse what cannot
// fit, not to account for every byte. It uses float64 internally, so no
// combination of field values overflows; the results saturate at
// math.MaxInt64.
func (c Config) Estimate() Resources {
	s := c.Shape
	f := func(v int) float64 { return float64(max(v, 0)) }
	inC, h, w, ch, n, classes, b := f(s.InC), f(s.H), f(s.W), f(s.C), f(s.N), f(s.Classes), f(s.Batch)

	// Parameters: the stem, per stage N cells of the space's edges
	// with a 1x1 and a 3x3 convolution each, a reduction block between
	// stages, and the classifier. An unknown space counts as the largest.
	edges, nodes := float64(space.MaxEdges), float64(space.MaxEdges)
	if sp, err := c.SearchSpace(); err == nil {
		edges, nodes = float64(sp.NumEdges()), float64(sp.Nodes()-1)
	}
	params := ch * inC * 9
	act := inC*b*h*w + ch*b*h*w // input and stem
	cs, hs, ws := ch, h, w
	for stage := 0; stage < 3; stage++ {
		if stage > 0 {
			params += 2*cs*cs*9 + 2*cs + 4*cs*cs*9 + 2*cs + 2*cs*cs
			hs, ws = math.Floor(hs/2), math.Floor(ws/2)
			act += 3*2*cs*b*hs*ws + cs*b*hs*ws
			cs *= 2
		}
		params += n * edges * (cs*cs + cs + cs*cs*9 + cs)
		act += n * (nodes + edges) * cs * b * hs * ws // the cell's nodes and edge outputs
	}
	params += classes*cs + classes
	act += cs*b*hs*ws + 2*cs*b + 3*b*classes // head, features, logits
	act += 6 * ch * b * h * w                // gradient buffers of the largest activation
	act += 9 * max(inC, ch) * b * h * w      // im2col scratch
	act += 2 * inC * b * h * w               // the trainer's and the evaluator's input batch

	nTrain, nEval, c0, h0, w0 := c.datasetSize()
	used := float64(nTrain)
	if c.Data.Train > 0 {
		used = math.Min(used, f(c.Data.Train))
	}
	vf := math.Min(math.Max(c.Data.ValFrac, 0), 1)
	trainImages := math.Ceil(used * (1 - vf))
	native := float64(c0 * h0 * w0)
	size := inC * h * w
	data := float64(nTrain+nEval)*native + 2*used*size
	if native != size {
		data += float64(nTrain+nEval) * size // the resized copies
	}
	if c.Data.Name == "synthetic" {
		data += classes * size * 8 // one float64 template per class
	}

	archs := float64(MaxArchs)
	if c.Eval.Archs == "list" {
		archs = f(len(c.Eval.List))
	} else if k, ok := ParseSample(c.Eval.Archs); ok {
		archs = math.Min(f(k), MaxArchs)
	}
	rank := archs * 256
	if c.Eval.Truth != "" {
		rank += 16 << 20 // a ground-truth table: 15,625 rows at most
	}

	steps := math.Ceil(trainImages / math.Max(b, 1))
	events := f(c.Epochs)*(math.Ceil(steps/math.Max(f(c.Events.StepEvery), 1))+1) + math.Min(archs, 100) + 4

	// Per parameter: value, gradient, momentum (float32), the
	// gradient-variance sum (float64), a checkpoint and a weights file.
	paramBytes := params * (4 + 4 + 4 + 8 + 16 + 4)
	r := Resources{
		Params: sat(params), ParamBytes: sat(paramBytes), TrainBytes: sat(act * 4),
		RankBytes: sat(rank), DataBytes: sat(data), TrainImages: sat(trainImages), Events: sat(events),
	}
	r.Total = sat(paramBytes + act*4 + rank + data)
	return r
}

// sat converts a non-negative float64 to int64, saturating.
func sat(v float64) int64 {
	if !(v < math.MaxInt64) {
		return math.MaxInt64
	}
	return int64(max(v, 0))
}

// CheckBudget refuses a Config whose estimate exceeds limit bytes of
// memory or MaxEvents events, naming the field that contributes most and
// giving the estimate against the limit.
func (c Config) CheckBudget(limit int64) error {
	r := c.Estimate()
	if r.Events > MaxEvents {
		return &FieldError{"events.step_every", fmt.Sprintf("%d epochs of %d steps at one step event every %d make about %d events, more than the %d a run may emit: raise events.step_every or lower epochs",
			c.Epochs, (r.TrainImages+int64(max(c.Shape.Batch, 1))-1)/int64(max(c.Shape.Batch, 1)), c.Events.StepEvery, r.Events, MaxEvents)}
	}
	if r.Total <= limit {
		return nil
	}
	field, part := "shape.channels", r.ParamBytes
	if r.TrainBytes > part {
		field, part = "shape.batch", r.TrainBytes
	}
	if r.DataBytes > part {
		field, part = "data.train", r.DataBytes
		if c.Data.Name != "synthetic" {
			field = "shape.height"
		}
	}
	if r.RankBytes > part {
		field = "eval.archs"
	}
	return &FieldError{field, fmt.Sprintf("the run needs about %s of memory (%d parameters: %s; training batch: %s; data: %s; ranking: %s), more than the %s allowed",
		FormatBytes(r.Total), r.Params, FormatBytes(r.ParamBytes), FormatBytes(r.TrainBytes), FormatBytes(r.DataBytes), FormatBytes(r.RankBytes), FormatBytes(limit))}
}

// FormatBytes writes a byte count for people: 1.5 GiB, 320 MiB, 12 KiB.
func FormatBytes(n int64) string {
	v := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"} {
		if v < 1024 || u == "PiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", v, u)
		}
		v /= 1024
	}
	return ""
}
