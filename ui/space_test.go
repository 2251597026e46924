package ui

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pada/core/groundtruth"
	"pada/core/run"
	"pada/core/space"
)

// defaultState is Default as a literal: links are written relative to it,
// so a change to it changes what every old link means, and
// TestOldHashesDecode must then fail.
var defaultState = State{Runs: []string{"uniform", "pada"}, Space: "nb201", Epochs: 10, Batch: 64, LR: 0.05, Seed: 0,
	Channels: 8, Cells: 1, Train: 8000, Archs: 40, EvalImages: 2000, Backend: "tab"}

// TestOldHashesDecode holds links written by the page before the search
// space was a setting (hash strings as that code's Hash wrote them) to
// the states they meant, compared whole: they name no space and read as
// nb201, and writing the state again gives the same link.
func TestOldHashesDecode(t *testing.T) {
	if !reflect.DeepEqual(Default(), defaultState) {
		t.Fatalf("Default() is\n%+v\nnot\n%+v", Default(), defaultState)
	}
	with := func(f func(*State)) State {
		s := defaultState
		s.Runs = append([]string(nil), s.Runs...)
		f(&s)
		return s
	}
	for _, tc := range []struct {
		hash string
		want State
	}{
		{"", defaultState},
		{"runs=uniform%2Cpada%2Cfairnas&epochs=3&batch=32&lr=0.1&seed=42&c=4&n=2&train=1000&archs=20&evalimages=200&peredge=1&unbiased=1&backend=native&embed=1&autostart=1&theme=dark&big=1&views=loss%2Crank",
			with(func(s *State) {
				s.Runs = []string{"uniform", "pada", "fairnas"}
				s.Epochs, s.Batch, s.LR, s.Seed, s.Channels, s.Cells, s.Train, s.Archs, s.EvalImages = 3, 32, 0.1, 42, 4, 2, 1000, 20, 200
				s.PerEdge, s.Unbiased, s.Backend, s.Embed, s.Auto, s.Theme, s.Big = true, true, "native", true, true, "dark", true
				s.Views = []string{"loss", "rank"}
			})},
		{"runs=pada&train=0&config=%7B%22version%22%3A1%2C%22epochs%22%3A3%7D",
			with(func(s *State) { s.Runs, s.Train, s.Config = []string{"pada"}, 0, `{"version":1,"epochs":3}` })},
		{"share=AAAAAAAAAAAAAAAAAAAAAA", with(func(s *State) { s.Share = "AAAAAAAAAAAAAAAAAAAAAA" })},
	} {
		got, errs := ParseHash("#" + tc.hash)
		if len(errs) > 0 {
			t.Errorf("%q: %v", tc.hash, errs)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q reads as\n%+v\nwant\n%+v", tc.hash, got, tc.want)
		}
		if h := got.Hash(); h != tc.hash {
			t.Errorf("%q is written back as %q", tc.hash, h)
		}
		if cs, err := got.Configs(true); err != nil || cs[0].Space != "nb201" {
			t.Errorf("%q: configs in space %v (%v), want nb201", tc.hash, cs, err)
		}
	}
}

func TestSpaceSetting(t *testing.T) {
	s := Default()
	if err := s.Set("space", "nb201-small"); err != nil {
		t.Fatal(err)
	}
	if h := s.Hash(); h != "space=nb201-small" {
		t.Errorf("hash %q, want space=nb201-small", h)
	}
	if s.Archs != 60 {
		t.Errorf("Archs after choosing nb201-small: %d, want its 60 classes", s.Archs)
	}
	got, errs := ParseHash("#" + s.Hash())
	if len(errs) > 0 || !reflect.DeepEqual(got, s) {
		t.Errorf("round trip: %+v, %v; want %+v", got, errs, s)
	}
	// A pasted version 1 config means nb201: on another space the
	// message says so, once.
	if err := s.Set("config", `{"version":1,"epochs":3}`); err == nil || !strings.HasPrefix(err.Error(), "config: a version 1 config is always nb201") || strings.Count(err.Error(), "config:") != 1 {
		t.Errorf("a v1 config over nb201-small: %v", err)
	}
	if err := s.Set("config", `{"version":2,"epochs":3}`); err != nil {
		t.Errorf("a v2 config over nb201-small: %v", err)
	}
	// A paste that names the space ranks that space's classes, as the
	// selector would; one naming an unknown space is refused by field.
	d := Default()
	if err := d.Set("config", `{"version":2,"space":"nb201-small","epochs":3}`); err != nil {
		t.Fatalf("a v2 config naming nb201-small over nb201: %v", err)
	}
	if cs, err := d.Configs(true); err != nil || cs[0].Space != "nb201-small" || len(cs[0].Eval.List) != 60 || cs[0].Epochs != 3 {
		t.Errorf("pasted nb201-small: %v", err)
	}
	if err := d.Set("config", `{"version":2,"space":"darts"}`); err == nil || !strings.HasPrefix(err.Error(), "config: space:") {
		t.Errorf("pasted unknown space: %v", err)
	}
	bad, errs := ParseHash("#space=darts&epochs=3")
	if e := errs["space"]; !strings.HasPrefix(e, "Search space:") || !strings.Contains(e, "nb201-small") || !strings.Contains(e, `"darts"`) {
		t.Errorf("space=darts: message %q, want one naming the field, the choices and the value", e)
	}
	if bad.Space != "nb201" || bad.Epochs != 3 || len(errs) != 1 {
		t.Errorf("space=darts: state %+v, errors %v; want the default space and the rest read", bad, errs)
	}
}

// TestSmallSpaceRace: the race preset on nb201-small ranks every one of
// its 60 isomorphism classes, so tau is over the whole space; a smaller
// count samples, as in nb201.
func TestSmallSpaceRace(t *testing.T) {
	sp := space.NB201SmallCell
	s := Default()
	if err := s.Set("space", sp.Name()); err != nil {
		t.Fatal(err)
	}
	cfgs, err := s.Configs(true)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cfgs {
		if c.Space != sp.Name() || c.Eval.Archs != "list" || len(c.Eval.List) != 60 || c.Eval.Truth != "default" {
			t.Fatalf("run %d: space %q, archs %q with %d, truth %q; want every class of nb201-small against its table",
				i, c.Space, c.Eval.Archs, len(c.Eval.List), c.Eval.Truth)
		}
		keys := map[string]bool{}
		for _, str := range c.Eval.List {
			a, err := sp.Parse(str)
			if err != nil {
				t.Fatal(err)
			}
			keys[sp.Key(a)] = true
		}
		if len(keys) != 60 {
			t.Errorf("run %d: the list has %d classes, want all 60", i, len(keys))
		}
		if _, rank := Work(c); rank != 60*float64(c.Eval.Images)*EvalCost {
			t.Errorf("run %d: the estimate counts rank work %v, not 60 architectures'", i, rank)
		}
	}
	// The rest of the race is the preset's.
	want, _ := run.Preset("race")
	got := cfgs[0]
	got.Space, got.Eval, got.Sampler = want.Space, want.Eval, want.Sampler
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nb201-small race differs from the preset beyond space and eval:\n%+v\n%+v", got, want)
	}
	for _, tc := range []struct {
		archs int
		want  string
		n     int
	}{{20, "sample:20", 0}, {59, "sample:59", 0}, {60, "list", 60}, {500, "list", 60}} {
		s.Archs = tc.archs
		cs, err := s.Configs(true)
		if err != nil || cs[0].Eval.Archs != tc.want || len(cs[0].Eval.List) != tc.n {
			t.Errorf("archs=%d: %q with %d (%v), want %q with %d", tc.archs, cs[0].Eval.Archs, len(cs[0].Eval.List), err, tc.want, tc.n)
		}
	}
	s.Archs = 60
	if n := s.SpaceNote(); n != "5 ops per edge: 125 architectures in 60 isomorphism classes; the race ranks all 60 (fewer in Archs ranked: a seeded sample)" {
		t.Errorf("note %q", n)
	}
	s.Archs = 12
	if n := s.SpaceNote(); !strings.HasSuffix(n, "; the race ranks a sample of 12") {
		t.Errorf("note %q", n)
	}
	if n := Default().SpaceNote(); n != "5 ops per edge: 15,625 architectures" {
		t.Errorf("nb201 note %q", n)
	}
}

// TestCellLayoutNoCrossings: in every registered space, two arcs on the
// same side of the node line never interleave (which is when they would
// cross), nested ones are higher outside, and NB201 keeps its drawing.
func TestCellLayoutNoCrossings(t *testing.T) {
	for _, name := range space.Names() {
		sp, _ := space.Lookup(name)
		arc := cellLayout(sp)
		edges := sp.Edges()
		for i, a := range edges {
			if (arc[i] == 0) != (a.To-a.From == 1) {
				t.Errorf("%s: edge %s has arc %v", name, a, arc[i])
			}
			for j, b := range edges[:i] {
				same := arc[i] > 0 && arc[j] > 0 || arc[i] < 0 && arc[j] < 0
				inter := a.From < b.From && b.From < a.To && a.To < b.To || b.From < a.From && a.From < b.To && b.To < a.To
				if same && inter {
					t.Errorf("%s: edges %s and %s cross", name, a, b)
				}
				nested := b.From <= a.From && a.To <= b.To || a.From <= b.From && b.To <= a.To
				if same && nested && (a.To-a.From > b.To-b.From) != (math.Abs(arc[i]) > math.Abs(arc[j])) {
					t.Errorf("%s: nested edges %s (%v) and %s (%v) meet", name, a, arc[i], b, arc[j])
				}
			}
		}
	}
	if got := cellLayout(space.NB201Cell); !reflect.DeepEqual(got, []float64{0, 60, 0, 118, -55, 0}) {
		t.Errorf("nb201 arcs %v", got)
	}
}

func TestCellDAGOfSpace(t *testing.T) {
	for _, tc := range []struct {
		sp    *space.Space
		ops   []int
		label []string
	}{
		{space.NB201SmallCell, []int{3, 1, 4}, []string{">conv3x3<", ">skip<", ">avgpool<"}},
		{space.NB201Cell, []int{0, 1, 2, 3, 4, 3}, []string{">none<", ">conv1x1<"}},
		// Short, long or out-of-range op lists draw, as "none".
		{space.NB201SmallCell, nil, []string{">none<"}},
		{space.NB201SmallCell, []int{9, -1, 2, 3, 3, 3, 3}, []string{">none<", ">conv1x1<"}},
	} {
		svg := CellDAG("cell", tc.sp, tc.ops)
		wellFormed(t, tc.sp.Name(), svg)
		n, e := tc.sp.Nodes(), tc.sp.NumEdges()
		if c, p, a := strings.Count(svg, "<circle"), strings.Count(svg, "<path"), strings.Count(svg, "<polygon"); c != n || p != e || a != e {
			t.Errorf("%s %v: %d nodes, %d edges, %d arrowheads; want %d, %d, %d", tc.sp, tc.ops, c, p, a, n, e, e)
		}
		for _, l := range append(tc.label, ">input<", ">output<", ">0<", ">"+string(rune('0'+n-1))+"<") {
			if !strings.Contains(svg, l) {
				t.Errorf("%s %v: no label %s", tc.sp, tc.ops, l)
			}
		}
	}
}

// smallRun is a run of nb201-small with a step and an epoch.
func smallRun(probs [][]float64, ops []int) *Run {
	cfg, _ := run.Preset("race")
	cfg.Space = "nb201-small"
	r := NewRun("pada", 1)
	r.Event(run.Event{Type: run.TypeStarted, Started: &run.Started{Config: cfg, Archs: 60}})
	r.Event(run.Event{Type: run.TypeStep, Step: &run.Step{Step: 1, Ops: ops, Arch: "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|"}})
	r.Event(run.Event{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 0, PathProbs: probs}})
	return r
}

func TestChartsFollowTheRunsSpace(t *testing.T) {
	probs := [][]float64{{0.1, 0.1, 0.2, 0.5, 0.1}, {0.2, 0.2, 0.2, 0.2, 0.2}, {0, 0, 0.5, 0.5, 0}}
	r := smallRun(probs, []int{3, 1, 4})
	path, hist, cell := r.PathChart(true), r.PathHistoryChart(true), r.CellChart()
	for name, s := range map[string]string{"path": path, "history": hist, "cell": cell} {
		wellFormed(t, name, "<div>"+s+"</div>")
	}
	if n := strings.Count(path, ">edge "); n != 3 {
		t.Errorf("path chart: %d edge labels, want 3", n)
	}
	for _, e := range []string{"edge 1←0", "edge 2←0", "edge 2←1", "<td>2←1</td><td>0.0%</td><td>0.0%</td><td>50.0%</td>"} {
		if !strings.Contains(path, e) {
			t.Errorf("path chart lacks %q", e)
		}
	}
	if strings.Contains(path, "3←") {
		t.Error("path chart has an nb201 edge")
	}
	// Mean over the 3 edges: conv3x3 (0.5+0.2+0.5)/3 = 40%.
	if !strings.Contains(hist, "<td>40.0%</td>") {
		t.Errorf("history table lacks the 3-edge mean: %s", hist)
	}
	if strings.Count(cell, "<circle") != 3 || !strings.Contains(cell, "<td>2←1</td><td>avgpool</td>") {
		t.Errorf("cell chart is not nb201-small's: %s", cell)
	}
	// Malformed events draw without panicking: rows missing or too
	// long, NaN and out-of-range values.
	for _, p := range [][][]float64{nil, {{1}}, {{math.NaN(), 2, -1, 0, 0, 7}, nil, {0.2}, {0.2}}} {
		r := smallRun(p, []int{7})
		wellFormed(t, "malformed", "<div>"+r.PathChart(true)+r.PathHistoryChart(true)+r.CellChart()+"</div>")
	}
	// A run from before spaces were named (no space in its config) is nb201.
	old := NewRun("uniform", 0)
	old.Event(run.Event{Type: run.TypeStarted, Started: &run.Started{Config: run.Config{Version: 1}}})
	if old.Space() != space.NB201Cell || strings.Count(old.PathChart(false), ">edge ") != 6 {
		t.Error("a run without a space is not drawn as nb201")
	}
}

// TestAppTruthFiles holds public/app.js's table of ground-truth files to
// groundtruth.DefaultFileFor: the page must send each space's own table.
func TestAppTruthFiles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "public", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	const decl = "const truthFiles = "
	i := strings.Index(string(b), decl)
	if i < 0 {
		t.Fatalf("public/app.js declares no %q", decl)
	}
	line, _, _ := strings.Cut(string(b[i+len(decl):]), ";")
	var got map[string]string
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("truthFiles %s: %v", line, err)
	}
	want := map[string]string{}
	for _, name := range space.Names() {
		f, err := groundtruth.DefaultFileFor(name)
		if err != nil {
			t.Fatal(err)
		}
		want[name] = f
		if _, err := os.Stat(filepath.Join("..", "public", "data", f)); err != nil {
			t.Error(err)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("app.js truthFiles %v, want %v", got, want)
	}
}

// TestSpaceCarriesArchs: choosing a space moves the whole-race count of
// architectures with it (40 in nb201, 60 in nb201-small) and back, keeps
// a count the user chose, and a link keeps its own count in either key
// order.
func TestSpaceCarriesArchs(t *testing.T) {
	for _, tc := range []struct {
		steps [][2]string
		archs int
		hash  string
	}{
		{[][2]string{{"space", "nb201-small"}}, 60, "space=nb201-small"},
		{[][2]string{{"space", "nb201-small"}, {"space", "nb201"}}, 40, ""},
		{[][2]string{{"archs", "25"}, {"space", "nb201-small"}}, 25, "space=nb201-small&archs=25"},
		{[][2]string{{"space", "nb201-small"}, {"archs", "40"}}, 40, "space=nb201-small&archs=40"},
		{[][2]string{{"space", "nb201-small"}, {"archs", "40"}, {"space", "nb201"}}, 40, ""},
	} {
		s := Default()
		for _, st := range tc.steps {
			if err := s.Set(st[0], st[1]); err != nil {
				t.Fatal(err)
			}
		}
		if s.Archs != tc.archs || s.Hash() != tc.hash {
			t.Errorf("%v: archs %d hash %q, want %d %q", tc.steps, s.Archs, s.Hash(), tc.archs, tc.hash)
		}
		got, errs := ParseHash("#" + s.Hash())
		if len(errs) > 0 || !reflect.DeepEqual(got, s) {
			t.Errorf("%v: %q reads back as %+v (%v), want %+v", tc.steps, s.Hash(), got, errs, s)
		}
	}
}
