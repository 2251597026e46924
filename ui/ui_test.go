package ui

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"

	"pada/core/run"
	"pada/core/sampler"
	"pada/wasm/msg"
)

func TestHashRoundTrip(t *testing.T) {
	s := Default()
	if h := s.Hash(); h != "" {
		t.Errorf("default state hash %q, want empty", h)
	}
	s.Runs = []string{"uniform", "pada", "fairnas"}
	s.Epochs, s.Batch, s.LR, s.Seed = 3, 32, 0.1, 42
	s.Channels, s.Cells, s.Train, s.Archs, s.EvalImages = 4, 2, 1000, 20, 200
	s.PerEdge, s.Embed = true, true
	got, errs := ParseHash("#" + s.Hash())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got.Hash() != s.Hash() {
		t.Errorf("round trip: %q -> %q", s.Hash(), got.Hash())
	}
}

func TestSetValidates(t *testing.T) {
	for _, tc := range []struct{ key, val, want string }{
		{"epochs", "0", "between 1 and"},
		{"epochs", "ten", "whole number"},
		{"batch", "1000", "between"},
		{"lr", "-1", "(0, 1]"},
		{"lr", "NaN", "number"},
		{"runs", "uniform,bogus", "unknown sampler"},
		{"runs", "", "between 1 and"},
		{"config", `{"version":1,`, "config"},
		{"config", `{"version":1,"epochs":0}`, "config"},
		{"nope", "1", "unknown setting"},
	} {
		s := Default()
		err := s.Set(tc.key, tc.val)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q, %q) = %v, want an error containing %q", tc.key, tc.val, err, tc.want)
		}
		if s.Hash() != Default().Hash() {
			t.Errorf("Set(%q, %q) changed the state on error", tc.key, tc.val)
		}
	}
	_, errs := ParseHash("#epochs=999&batch=16")
	if errs["epochs"] == "" || errs["batch"] != "" {
		t.Errorf("ParseHash errors %v", errs)
	}
}

func TestConfigs(t *testing.T) {
	s := Default()
	s.Runs = []string{"uniform", "pada"}
	cs, err := s.Configs(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Sampler.Path != "uniform" || cs[1].Sampler.Path != "pa" || cs[1].Sampler.Data != "da" {
		t.Fatalf("configs %+v", cs)
	}
	if cs[0].Seed != cs[1].Seed || cs[0].Eval.Truth != "" {
		t.Error("runs of a race must share the seed; no truth without a table")
	}
	cs, _ = s.Configs(true)
	if cs[0].Eval.Truth != "default" {
		t.Error("with the table loaded the runs rank against it")
	}
}

// wellFormed parses s as XML.
func wellFormed(t *testing.T, name, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Entity = map[string]string{"nbsp": " "}
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("%s: not well-formed: %v\n%s", name, err, s)
		}
	}
}

func TestChartsWellFormed(t *testing.T) {
	r := NewRun("pada", 1)
	r.Apply(msg.Batch{Events: []run.Event{
		{Type: run.TypeStep, Step: &run.Step{Step: 1, Loss: 2.3, Acc: 10, Ops: [6]int{0, 1, 2, 3, 4, 3}, Arch: "x"}},
		{Type: run.TypeStep, Step: &run.Step{Step: 2, Loss: 2.1, Acc: 14}},
		{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 0, GV: 1e-3, GVPerParam: 1e-8, ValAcc: 20,
			Data: &sampler.Summary{Edges: []float64{0.5, 1, 2}, Counts: []int{3, 5}, Top: []int{1}, Bottom: []int{2}}}},
		{Type: run.TypeRank, Rank: &run.RankProgress{Done: 1, Total: 2, Arch: "a<b>", Pred: 30, Truth: -1}},
	}, Thumbs: map[int][]byte{1: make([]byte, 16)}, Labels: map[int]int{1: 3}, C: 1, H: 4, W: 4})
	c := &Root{State: Default(), Runs: []*Run{NewRun("uniform", 0), r}}
	for name, s := range map[string]string{
		"loss": c.LossChart(), "acc": c.AccChart(), "gv": c.GVChart(), "val": c.ValChart(), "rank": c.RankChart(),
		"path": r.PathChart(true), "cell": r.CellChart(), "data": r.DataChart(false),
		"empty": LineChart(Axis{Title: "t", LogY: true}, nil), "nan": LineChart(Axis{}, []Series{{X: []float64{1, 2}, Y: []float64{math.NaN(), math.Inf(1)}}}),
	} {
		wellFormed(t, name, "<div>"+s+"</div>")
		if !strings.Contains(s, "<svg") {
			t.Errorf("%s: no svg", name)
		}
	}
	if !strings.Contains(c.RankChart(), "a&lt;b&gt;") {
		t.Error("arch strings must be escaped")
	}
	if !strings.Contains(r.DataChart(true), "data:image/bmp;base64,") {
		t.Error("no thumbnails")
	}
	// Class names come from the Started event: none before it, the
	// dataset's after.
	if s := r.DataChart(true); strings.Contains(s, "example 1:") || !strings.Contains(s, `alt="example 1"`) {
		t.Error("a class name without a Started event")
	}
	r.Event(run.Event{Type: run.TypeStarted, Started: &run.Started{Classes: []string{"a", "b", "c", "Dress"}}})
	if s := r.DataChart(true); !strings.Contains(s, `alt="example 1: Dress"`) || !strings.Contains(s, "1 (Dress)") {
		t.Error("the thumbnails and the table do not name example 1's class from the Started event")
	}
}

func TestLogAxisTicks(t *testing.T) {
	s := LineChart(Axis{LogY: true}, []Series{{X: []float64{1, 2, 3}, Y: []float64{1e-9, 1e-6, 1e-3}}})
	for _, want := range []string{">1e-9<", ">1e-6<", ">1e-3<"} {
		if !strings.Contains(s, want) {
			t.Errorf("log axis lacks tick %s", want)
		}
	}
}

func TestThumbnail(t *testing.T) {
	u := Thumbnail([]byte{0, 255, 128, 64}, 1, 2, 2)
	if !strings.HasPrefix(u, "data:image/bmp;base64,Qk") { // "BM"
		t.Errorf("thumbnail %q", u)
	}
	if Thumbnail([]byte{1}, 1, 2, 2) != "" {
		t.Error("short pixels must give no image")
	}
}

func TestBackendSetting(t *testing.T) {
	s, errs := ParseHash("#backend=native")
	if len(errs) > 0 || s.Backend != "native" || s.Hash() != "backend=native" {
		t.Fatalf("backend=native: %+v %v %q", s.Backend, errs, s.Hash())
	}
	if _, errs := ParseHash("#backend=gpu"); !strings.Contains(errs["backend"], "tab or native") {
		t.Errorf("backend=gpu: errors %v", errs)
	}
	if Default().Hash() != "" {
		t.Errorf("the default state has hash %q", Default().Hash())
	}
	c := &Root{State: Default()}
	for _, tc := range []struct {
		backend string
		n       NativeInfo
		native  bool
		note    string
	}{
		{"native", NativeInfo{}, false, "looking"},
		{"native", NativeInfo{Checked: true, OK: true, Cores: 8, Backend: "cpu"}, true, "8 cores"},
		{"native", NativeInfo{Checked: true, Err: "HTTP 404"}, false, "train in this tab"},
		{"tab", NativeInfo{Checked: true, OK: true, Cores: 8, Backend: "cpu"}, false, "ready"},
	} {
		c.State.Backend, c.Native = tc.backend, tc.n
		if c.UseNative() != tc.native || !strings.Contains(c.BackendNote(), tc.note) {
			t.Errorf("%s %+v: UseNative %v, note %q", tc.backend, tc.n, c.UseNative(), c.BackendNote())
		}
	}
}

func TestTruthNote(t *testing.T) {
	started := func(tt *run.TruthTable) *Run {
		return &Run{Started: &run.Started{Archs: 50, Truth: tt}}
	}
	cases := []struct {
		name string
		runs []*Run
		want []string // substrings; none means an empty note
	}{
		{"no runs", nil, nil},
		{"not started", []*Run{{}}, nil},
		{"no table", []*Run{started(nil)}, nil},
		{"one seed", []*Run{started(&run.TruthTable{Rows: 500, Known: 50})}, []string{"500 architectures", "50 of the 50 ranked"}},
		{"two seeds", []*Run{{}, started(&run.TruthTable{Rows: 500, Known: 48, Doubly: 100, SeedTau: 0.631, Ceiling: 0.738})},
			[]string{"48 of the 50", "100 of them", "τ = 0.63", "about τ = 0.74"}},
	}
	for _, c := range cases {
		got := (&Root{Runs: c.runs}).TruthNote()
		if len(c.want) == 0 && got != "" {
			t.Errorf("%s: note %q, want none", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: note %q lacks %q", c.name, got, w)
			}
		}
		if c.name == "one seed" && strings.Contains(got, "seeds") {
			t.Errorf("%s: note %q talks of seeds without a seed-to-seed tau", c.name, got)
		}
	}
}

// An embedded page hides its settings, so a bad value in the link must be
// named in the note rather than next to a control nobody sees.
func TestEmbedNamesBadSettings(t *testing.T) {
	for _, c := range []struct {
		hash string
		want []string
	}{
		{"#archs=4&epochs=0", []string{"Fix the highlighted settings"}},
		{"#embed=1&archs=4&epochs=0", []string{"link's settings", "archs: ", "epochs: "}},
	} {
		r := NewRoot(nil, c.hash)
		r.Race()
		for _, w := range c.want {
			if !strings.Contains(r.Note, w) {
				t.Errorf("%s: note %q lacks %q", c.hash, r.Note, w)
			}
		}
		if len(r.Runs) != 0 {
			t.Errorf("%s: %d runs started with bad settings", c.hash, len(r.Runs))
		}
	}
}
