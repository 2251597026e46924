// Package ui is the page: a vugu app (root.vugu) that races supernet
// trainings in Web Workers and draws what happens as inline SVG.
//
// The files without a build tag are plain Go and tested natively: State
// (the single source of truth, round-tripping through the URL hash),
// Run (what a run's events add up to) and the SVG charts. The files
// tagged js talk to the browser.
package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"pada/core/run"
	"pada/core/space"
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
	Runs []string // sampler names, one worker each
	// Space is the search space the supernets train over, one of
	// space.Names(); links written before spaces were named have none
	// and mean run.DefaultSpace (nb201), which Default holds.
	Space      string
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
	Theme      string // "" (follow the system), "light" or "dark"
	Big        bool   // large text, for a projector
	// Views are the charts shown (nil: all), by the names in Views.
	Views []string
	// Config, when set, is a pasted Config JSON laid over the settings
	// (fields it leaves out keep the settings' values; the sampler still
	// comes from Runs).
	Config string
	// Share is the id of a published race: the page replays it
	// read-only instead of training (replay.go).
	Share string
}

// Views are the page's charts that a link can choose with views=…, in
// page order.
var Views = []string{"loss", "acc", "gv", "drift", "val", "rank", "cell", "paths", "data"}

// Default is the race a teacher gets by pressing one button: the "race"
// preset (run.Preset), which `go run ./serve train -preset race` runs
// natively, so the page's default can be checked from a terminal. Its
// budget was chosen by measurement (bench/race; README "The default
// race"). The CLI's larger mini preset is one link away
// (#epochs=10&train=0&archs=100).
func Default() State {
	p, _ := run.Preset("race")
	return State{
		Runs: []string{"uniform", "pada"}, Space: p.Space, Epochs: p.Epochs, Batch: p.Shape.Batch, LR: p.LR, Seed: p.Seed,
		Channels: p.Shape.C, Cells: p.Shape.N, Train: p.Data.Train, Archs: len(p.Eval.List), EvalImages: p.Eval.Images,
		Backend: "tab",
	}
}

// prop is one setting: its hash key, how to write it as text and how to
// read it back (validating). Props is the one table that the hash, the
// controls and their messages use.
type prop struct {
	key string
	get func(*State) string
	set func(*State, string) error
}

func intProp(key, what string, lo, hi int, f func(*State) *int) prop {
	return prop{key, func(s *State) string { return strconv.Itoa(*f(s)) }, func(s *State, v string) error {
		x, err := strconv.Atoi(v)
		if err != nil || x < lo || x > hi {
			return rangeErr(what, v, strconv.Itoa(lo), strconv.Itoa(hi))
		}
		*f(s) = x
		return nil
	}}
}

func boolProp(key string, f func(*State) *bool) prop {
	return prop{key, func(s *State) string {
		if *f(s) {
			return "1"
		}
		return "0"
	}, func(s *State, v string) error {
		switch v {
		case "1", "true", "on":
			*f(s) = true
		case "0", "false", "off", "":
			*f(s) = false
		default:
			return fmt.Errorf("%s: use 1 (on) or 0 (off), not %q", key, v)
		}
		return nil
	}}
}

func oneOfProp(key, what string, allowed []string, f func(*State) *string) prop {
	return prop{key, func(s *State) string { return *f(s) }, func(s *State, v string) error {
		if !slices.Contains(allowed, v) {
			named := slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return a == "" })
			return fmt.Errorf("%s: choose %s, not %q", what, strings.Join(named, " or "), v)
		}
		*f(s) = v
		return nil
	}}
}

// rangeErr is the message for a number outside its range: it names the
// field, the range and what was typed.
func rangeErr(what, typed, lo, hi string) error {
	if typed == "" {
		return fmt.Errorf("%s: type a whole number from %s to %s", what, lo, hi)
	}
	return fmt.Errorf("%s: type a whole number from %s to %s (not %q)", what, lo, hi, typed)
}

// listProp is a comma-separated list of names from allowed, n long.
func listProp(key, what string, allowed func() []string, lo, hi int, f func(*State) *[]string) prop {
	return prop{key, func(s *State) string { return strings.Join(*f(s), ",") }, func(s *State, v string) error {
		var out []string
		for _, r := range strings.Split(v, ",") {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			if !slices.Contains(allowed(), r) {
				return fmt.Errorf("%s: unknown %q; choose from %s", what, r, strings.Join(allowed(), ", "))
			}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
		if len(out) < lo || len(out) > hi {
			return fmt.Errorf("%s: choose between %d and %d", what, lo, hi)
		}
		*f(s) = out
		return nil
	}}
}

func samplerNames() []string {
	var out []string
	for _, s := range Samplers {
		out = append(out, s.Name)
	}
	return out
}

// props are the settings in hash order.
var props = []prop{
	{"share", func(s *State) string { return s.Share }, func(s *State, v string) error {
		if v != "" && !run.ValidShareID(v) {
			if len(v) > 40 {
				v = v[:40] + "…"
			}
			return fmt.Errorf("share: %q is not a share id (%d characters of A-Z a-z 0-9 - _)", v, run.ShareIDLen)
		}
		s.Share = v
		return nil
	}},
	listProp("runs", "runs", samplerNames, 1, MaxRuns, func(s *State) *[]string { return &s.Runs }),
	oneOfProp("space", "Search space", space.Names(), func(s *State) *string { return &s.Space }),
	intProp("epochs", "Epochs", 1, MaxEpochs, func(s *State) *int { return &s.Epochs }),
	intProp("batch", "Batch", MinBatch, MaxBatch, func(s *State) *int { return &s.Batch }),
	{"lr", func(s *State) string { return strconv.FormatFloat(s.LR, 'g', -1, 64) }, func(s *State, v string) error {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || x <= 0 || x > 1 {
			if v == "" {
				return fmt.Errorf("Learning rate: type a number above 0 and at most 1, e.g. 0.05")
			}
			return fmt.Errorf("Learning rate: type a number above 0 and at most 1, e.g. 0.05 (not %q)", v)
		}
		s.LR = x
		return nil
	}},
	{"seed", func(s *State) string { return strconv.FormatUint(s.Seed, 10) }, func(s *State, v string) error {
		x, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return rangeErr("Seed", v, "0", strconv.FormatUint(math.MaxUint32, 10))
		}
		s.Seed = x
		return nil
	}},
	intProp("c", "Channels", MinChannels, MaxChannels, func(s *State) *int { return &s.Channels }),
	intProp("n", "Cells/stage", 1, MaxCells, func(s *State) *int { return &s.Cells }),
	{"train", func(s *State) string { return strconv.Itoa(s.Train) }, func(s *State, v string) error {
		if v == "0" || v == "all" {
			s.Train = 0
			return nil
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < MinTrain || x > MaxTrain {
			return fmt.Errorf("%w; 0 means all", rangeErr("Train images", v, strconv.Itoa(MinTrain), strconv.Itoa(MaxTrain)))
		}
		s.Train = x
		return nil
	}},
	intProp("archs", "Archs ranked", 5, MaxArchs, func(s *State) *int { return &s.Archs }),
	intProp("evalimages", "Eval images", MinEvalImages, MaxEvalImages, func(s *State) *int { return &s.EvalImages }),
	boolProp("peredge", func(s *State) *bool { return &s.PerEdge }),
	boolProp("unbiased", func(s *State) *bool { return &s.Unbiased }),
	oneOfProp("backend", "Train", []string{"tab", "native"}, func(s *State) *string { return &s.Backend }),
	boolProp("embed", func(s *State) *bool { return &s.Embed }),
	boolProp("autostart", func(s *State) *bool { return &s.Auto }),
	oneOfProp("theme", "Theme", []string{"", "light", "dark"}, func(s *State) *string { return &s.Theme }),
	boolProp("big", func(s *State) *bool { return &s.Big }),
	listProp("views", "views", func() []string { return Views }, 1, len(Views), func(s *State) *[]string { return &s.Views }),
	{"config", func(s *State) string { return s.Config }, func(s *State, v string) error {
		if v != "" {
			if _, err := mergeConfig(s.baseUnder(false, v), v); err != nil {
				return err
			}
		}
		s.Config = v
		return nil
	}},
}

func lookup(key string) *prop {
	for i := range props {
		if props[i].key == key {
			return &props[i]
		}
	}
	return nil
}

// Hash encodes the state as a URL fragment (without '#'), listing only
// what differs from Default, in the order of props.
func (s State) Hash() string {
	// Defaults are those of the state's space (its whole-race Archs
	// count), so a link to nb201-small does not spell out its 60.
	d := Default()
	d.Archs = s.wholeRace()
	var parts []string
	for _, p := range props {
		if v := p.get(&s); v != p.get(&d) {
			parts = append(parts, queryEscape(p.key)+"="+queryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// Text is the text of setting key as its control shows it.
func (s State) Text(key string) string {
	if p := lookup(key); p != nil {
		return p.get(&s)
	}
	return ""
}

// ParseHash reads a URL fragment (with or without '#') into a State,
// starting from Default. Every value is validated; errs maps the control
// name (the hash key) to what is wrong, and a wrong value keeps its
// default. A pasted config is checked last, against the other settings.
func ParseHash(h string) (State, map[string]string) {
	s := Default()
	errs := map[string]string{}
	v, err := parseQuery(strings.TrimPrefix(h, "#"))
	if err != nil {
		errs["hash"] = "the link's settings are malformed: " + err.Error()
		return s, errs
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if i := slices.Index(keys, "config"); i >= 0 {
		keys = append(append(keys[:i:i], keys[i+1:]...), "config")
	}
	// The space first: it sets the whole-race Archs count that a link's
	// own archs then overrides.
	if i := slices.Index(keys, "space"); i >= 0 {
		keys = append([]string{"space"}, append(keys[:i:i], keys[i+1:]...)...)
	}
	for _, k := range keys {
		if err := s.Set(k, v[k][0]); err != nil {
			errs[k] = err.Error()
		}
	}
	return s, errs
}

// Set changes one field from a control's text (the keys are the hash
// keys). On error the state is unchanged and the error names the field
// and what is allowed.
func (s *State) Set(key, val string) error {
	if key != "config" {
		val = strings.TrimSpace(val)
	}
	p := lookup(key)
	if p == nil {
		return fmt.Errorf("unknown setting %q", key)
	}
	from := *s
	if err := p.set(s, val); err != nil {
		return err
	}
	// A new space carries the whole-race count of architectures along
	// (nb201's preset list of 40, nb201-small's 60 classes), so that the
	// Archs field says what the race ranks; a count the user chose stays.
	if key == "space" && from.Archs == from.wholeRace() {
		s.Archs = s.wholeRace()
	}
	return nil
}

// wholeRace is the Archs count at which the race ranks its space's whole
// set: the preset's stratified list in nb201, every isomorphism class in
// a smaller space.
func (s State) wholeRace() int {
	p, _ := run.Preset("race")
	if s.SpaceName() == run.DefaultSpace {
		return len(p.Eval.List)
	}
	sp, err := space.Lookup(s.SpaceName())
	if err != nil {
		return len(p.Eval.List)
	}
	return len(sp.Unique())
}

// Shows reports whether chart view is shown.
func (s State) Shows(view string) bool { return len(s.Views) == 0 || slices.Contains(s.Views, view) }

// SpaceName is the search space the settings name (a zero State's ""
// is run.DefaultSpace).
func (s State) SpaceName() string {
	if s.Space == "" {
		return run.DefaultSpace
	}
	return s.Space
}

// base is the Config the settings describe, before a pasted config and
// the sampler.
func (s State) base(truth bool) run.Config {
	base, _ := run.Preset("race")
	presetArchs := len(base.Eval.List)
	base.Space = s.SpaceName()
	base.Epochs = s.Epochs
	base.Shape.Batch = s.Batch
	base.LR = s.LR
	base.Seed = s.Seed
	base.Shape.C = s.Channels
	base.Shape.N = s.Cells
	base.Data.Train = s.Train
	// The preset's stratified list when the count is the preset's;
	// another count draws a seeded sample of the table's classes.
	if s.Archs != presetArchs {
		base.Eval.Archs, base.Eval.List = "sample:"+strconv.Itoa(s.Archs), nil
	}
	if base.Space != run.DefaultSpace {
		s.rankSpace(&base.Eval, presetArchs)
	}
	base.Eval.Images = s.EvalImages
	base.Eval.Truth = ""
	if truth {
		base.Eval.Truth = "default"
	}
	// About 150 step events per run keep charts smooth without flooding
	// the page (the worker batches them by time anyway), and the first
	// one arrives after a step or two, not after 2% of the run, so a
	// class sees training start at once.
	n := s.Train
	if n == 0 {
		n = MaxTrain
	}
	steps := max(1, int(float64(n)*(1-base.Data.ValFrac))/s.Batch) * s.Epochs
	base.Events.StepEvery = max(1, steps/150)
	return base
}

// rankSpace is which architectures a race outside nb201 ranks. The
// preset's stratified list is of nb201; a smaller space has few enough
// isomorphism classes (nb201-small: 60) that the race ranks every one,
// so its tau is over the whole space. It does so when the count reaches
// the space's classes (choosing the space sets it so: State.Set); a
// smaller count draws that many with the seed, as in nb201. The classes go as
// an explicit list, not "unique", so that the time estimate (Work) and
// the config a link reproduces count exactly what is ranked.
func (s State) rankSpace(e *run.Eval, presetArchs int) {
	sp, err := space.Lookup(s.SpaceName())
	if err != nil {
		return // the config's own validation names the space
	}
	classes := sp.Unique()
	if s.Archs < len(classes) {
		e.Archs, e.List = "sample:"+strconv.Itoa(s.Archs), nil
		return
	}
	e.Archs, e.List = "list", make([]string, len(classes))
	for i, a := range classes {
		e.List[i] = sp.Format(a)
	}
}

// Expect is what a race in the chosen space can be expected to show,
// measured natively at a larger budget (README: "What PA&DA does at this
// scale" for nb201, "Uniform vs PA&DA on nb201-small"), so that a class
// reads its own race's τ against numbers with their spread.
func (s State) Expect() string {
	const tail = " The charts below show your own race's numbers with their uncertainty."
	if s.SpaceName() == "nb201-small" {
		return "What to expect on nb201-small, measured natively (10 epochs of 7,200 images, 10 seeds, all 60 classes each): " +
			"PA&DA ranks better than uniform sampling on every seed (τ 0.50 ± 0.06 against 0.38 ± 0.09), and sampling paths " +
			"by importance alone ranks better still (0.59 ± 0.05), while sampling data by importance alone ranks worse (0.27 ± 0.10). " +
			"None beats ranking by the number of convolutions, which needs no training (τ 0.56), beyond the noise." + tail
	}
	return "What to expect, measured natively at a larger budget (10 epochs of 7,200 images, 5 seeds, 100 architectures each): " +
		"PA&DA ranks better than uniform sampling (τ 0.37 ± 0.07 against 0.23 ± 0.09), yet neither beats ranking by the number " +
		"of convolutions, which needs no training (τ 0.49); among cells with the same number of convolutions PA&DA ranks worse " +
		"than uniform. At fixed weights, the gradient PA&DA trains with is not less noisy than uniform sampling's here (about 1.1×)." + tail
}

// SpaceNote says what the chosen search space is and how many of its
// architectures the race ranks, next to the space selector (whose entry
// already gives the nodes and edges). Outside nb201 the Archs field's
// preset count does not apply, so the note says what does.
func (s State) SpaceNote() string {
	sp, err := space.Lookup(s.SpaceName())
	if err != nil {
		return ""
	}
	n := fmt.Sprintf("%d ops per edge: %s architectures", sp.NumOps(), thousands(float64(sp.NumArchs())))
	if sp.Name() == run.DefaultSpace {
		// Not its classes: finding nb201's 6,466 would cost the page a
		// pass over 15,625 architectures for a label.
		return n
	}
	k := len(sp.Unique())
	n += fmt.Sprintf(" in %d isomorphism classes", k)
	var e run.Eval
	p, _ := run.Preset("race")
	s.rankSpace(&e, len(p.Eval.List))
	if e.Archs == "list" {
		return n + fmt.Sprintf("; the race ranks all %d (fewer in Archs ranked: a seeded sample)", k)
	}
	return n + fmt.Sprintf("; the race ranks a sample of %d", s.Archs)
}

// baseUnder is base for a pasted config: in the search space the paste
// names, if it names one (then the architectures ranked are that space's,
// as if it had been chosen in the selector, and not a list of another
// space's cells that the paste would have to replace by hand).
func (s State) baseUnder(truth bool, pasted string) run.Config {
	var top map[string]json.RawMessage
	var sp string
	if json.Unmarshal([]byte(pasted), &top) == nil && json.Unmarshal(top["space"], &sp) == nil && sp != "" {
		whole := s.Archs == s.wholeRace()
		s.Space = sp // an unknown name stays for Validate to name
		if whole {
			s.Archs = s.wholeRace()
		}
	}
	return s.base(truth)
}

// mergeConfig lays a pasted Config JSON over base: the fields it names
// replace base's, the others stay. Unknown fields are refused and the
// result is validated; errors name the byte offset or the field.
func mergeConfig(base run.Config, text string) (run.Config, error) {
	c := base
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return c, fmt.Errorf("config: the JSON is broken at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return c, fmt.Errorf("config: field %q at byte %d wants %s, not %s", te.Field, te.Offset, te.Type, te.Value)
		case err == io.EOF:
			return c, errors.New("config: the box holds no JSON object")
		case err == io.ErrUnexpectedEOF:
			return c, fmt.Errorf("config: the JSON ends early at byte %d (a closing } or a value is missing)", len(text))
		}
		var fe *run.FieldError
		if errors.As(err, &fe) {
			if fe.Field == "space" && base.Space != run.DefaultSpace {
				// The space came from the selector, not the paste: a
				// version 1 config means nb201 and cannot say otherwise.
				return c, fmt.Errorf("config: a version 1 config is always %s, but the search space chosen is %s: choose %s, or paste it as version %d",
					run.DefaultSpace, base.Space, run.DefaultSpace, run.Version)
			}
			return c, fe // it names the field and says "config:" itself
		}
		return c, fmt.Errorf("config: %w", err)
	}
	if dec.More() {
		return c, errors.New("config: there is more after the JSON object; paste one object")
	}
	return c, c.Validate()
}

// Configs are the run Configs of a race, one per entry of Runs. truth
// says whether the page has the default ground-truth table to send.
func (s State) Configs(truth bool) ([]run.Config, error) {
	base := s.baseUnder(truth, s.Config)
	if s.Config != "" {
		c, err := mergeConfig(base, s.Config)
		if err != nil {
			return nil, err
		}
		base = c
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
