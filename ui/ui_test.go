package ui

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"pada/core/rank/stat"
	"pada/core/run"
	"pada/core/sampler"
	"pada/wasm/msg"
)

func TestHashRoundTrip(t *testing.T) {
	s := Default()
	if h := s.Hash(); h != "" {
		t.Errorf("default state hash %q, want empty", h)
	}
	s.Runs, s.Space = []string{"uniform", "pada", "fairnas"}, "nb201-small"
	s.Epochs, s.Batch, s.LR, s.Seed = 3, 32, 0.1, 42
	s.Channels, s.Cells, s.Train, s.Archs, s.EvalImages = 4, 2, 1000, 20, 200
	s.PerEdge, s.Embed, s.Unbiased, s.Auto, s.Big = true, true, true, true, true
	s.Backend, s.Theme, s.Views = "native", "dark", []string{"loss", "rank"}
	s.Config = `{"version":2,"epochs":3}`
	s.Share = "AAAAAAAAAAAAAAAAAAAAAA"
	got, errs := ParseHash("#" + s.Hash())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip through %q:\n got %+v\nwant %+v", s.Hash(), got, s)
	}
	// Every setting is in the hash: changing any one field alone
	// changes the hash (a field the table forgot would not).
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		d := Default()
		f := reflect.ValueOf(&d).Elem().Field(i)
		switch f.Kind() {
		case reflect.Int, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Uint64:
			f.SetUint(f.Uint() + 1)
		case reflect.Float64:
			f.SetFloat(f.Float() / 2)
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.String, reflect.Slice:
			f.Set(v.Field(i))
		}
		if d.Hash() == "" {
			t.Errorf("field %s is not written to the hash", v.Type().Field(i).Name)
		}
	}
	// Old links keep working: the keys and values of earlier versions.
	old, errs := ParseHash("#runs=uniform,pada,pa&epochs=3&train=1200&archs=30&evalimages=100&embed=1&autostart=1&peredge=1")
	if len(errs) > 0 || old.Epochs != 3 || old.Train != 1200 || old.Archs != 30 || !old.Embed || !old.Auto || !old.PerEdge || len(old.Runs) != 3 {
		t.Errorf("an old link reads as %+v, %v", old, errs)
	}
}

func TestMergeConfig(t *testing.T) {
	s := Default()
	s.Batch = 32
	if err := s.Set("config", `{"version":1,"epochs":3}`); err != nil {
		t.Fatalf("a partial config is refused: %v", err)
	}
	cs, err := s.Configs(false)
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].Epochs != 3 || cs[0].Shape.Batch != 32 || cs[0].Data.Train != s.Train || cs[1].Sampler.Data != "da" {
		t.Errorf("merged config: epochs %d batch %d train %d; want 3, the settings' 32 and %d", cs[0].Epochs, cs[0].Shape.Batch, cs[0].Data.Train, s.Train)
	}
	for _, tc := range []struct{ text, want string }{
		{`{"version":1,"epochs":"ten"}`, `field "epochs"`},
		{`{"version":1,"epochs":0}`, "epochs"},
		{`{"version":1,`, "byte"},
		{`{"version":1,"bogus":1}`, "bogus"},
		{`{} {}`, "one object"},
	} {
		s2 := s
		if err := s2.Set("config", tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %s: error %v, want one naming %q", tc.text, err, tc.want)
		}
		if !reflect.DeepEqual(s2, s) {
			t.Errorf("config %s changed the state on error", tc.text)
		}
	}
}

func TestSetValidates(t *testing.T) {
	for _, tc := range []struct{ key, val, want string }{
		{"epochs", "0", `Epochs: type a whole number from 1 to 50 (not "0")`},
		{"epochs", "ten", "Epochs: type a whole number from 1 to 50"},
		{"epochs", "", "Epochs: type a whole number from 1 to 50"},
		{"batch", "1000", "Batch: type a whole number from 8 to 256"},
		{"train", "100", "0 means all"},
		{"lr", "-1", "Learning rate: type a number above 0 and at most 1"},
		{"lr", "NaN", "Learning rate"},
		{"seed", "-3", "Seed: type a whole number from 0 to 4294967295"},
		{"theme", "blue", "choose light or dark"},
		{"views", "loss,pie", `unknown "pie"`},
		{"runs", "uniform,bogus", `unknown "bogus"`},
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
		{Type: run.TypeStep, Step: &run.Step{Step: 1, Loss: 2.3, Acc: 10, Ops: []int{0, 1, 2, 3, 4, 3}, Arch: "x"}},
		{Type: run.TypeStep, Step: &run.Step{Step: 2, Loss: 2.1, Acc: 14}},
		{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 0, GV: 1e-3, GVPerParam: 1e-8, ValAcc: 20,
			GVFixed: &run.GVFixed{Draws: 8, Weighted: 3e-6, Unweighted: -1e-9, Uniform: 2e-6},
			Data:    &sampler.Summary{Edges: []float64{0.5, 1, 2}, Counts: []int{3, 5}, Top: []int{1}, Bottom: []int{2}}}},
		{Type: run.TypeRank, Rank: &run.RankProgress{Done: 1, Total: 2, Arch: "a<b>", Pred: 30, Truth: -1}},
	}, Thumbs: map[int][]byte{1: make([]byte, 16)}, Labels: map[int]int{1: 3}, C: 1, H: 4, W: 4})
	c := &Root{State: Default(), Runs: []*Run{NewRun("uniform", 0), r}}
	for name, s := range map[string]string{
		"loss": c.LossChart(), "acc": c.AccChart(), "gv": c.GVChart(), "drift": c.DriftChart(), "val": c.ValChart(), "rank": c.RankChart(),
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

func TestEpochTicksAreWhole(t *testing.T) {
	s := LineChart(Axis{IntX: true}, []Series{{X: []float64{1, 2, 3}, Y: []float64{10, 20, 30}}})
	if strings.Contains(s, ">1.5<") || !strings.Contains(s, ">2<") {
		t.Errorf("epoch axis ticks: %s", s)
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

func TestTickLabelsNeverRepeat(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {0.001, 0.004}, {2.1, 2.14}, {1e-9, 5e-9}, {0, 30000}, {84.01, 84.09}, {1, 3}, {-0.2, 0.2}, {99.5, 100.5}} {
		vs := ticks(r[0], r[1], 5)
		labs := tickLabels(vs)
		seen := map[string]bool{}
		for i, l := range labs {
			if seen[l] {
				t.Errorf("range %v: ticks %v labelled %q: %q repeats", r, vs, labs, l)
			}
			seen[l] = true
			back, err := strconv.ParseFloat(l, 64)
			if err != nil || math.Abs(back-vs[i]) > (vs[len(vs)-1]-vs[0])/100 {
				t.Errorf("range %v: tick %v labelled %q", r, vs[i], l)
			}
		}
	}
	if got := tickLabels([]float64{0, 0.5, 1, 1.5}); !reflect.DeepEqual(got, []string{"0", "0.5", "1.0", "1.5"}) {
		t.Errorf("labels %q", got)
	}
}

// The page's keys, the confirmation before a race is discarded, and the
// hash followed when the user edits it.
func TestKeysConfirmAndHash(t *testing.T) {
	c := NewRoot(nil, tinyHash)
	if !c.Key(" ") || len(c.Runs) != 2 {
		t.Fatalf("Space did not start a race: %d runs", len(c.Runs))
	}
	first := c.Runs[0]
	c.Key(" ")
	if !c.Paused {
		t.Error("Space during a race did not pause it")
	}
	c.Race()
	if !c.Confirm || c.Runs[0] != first {
		t.Error("Race during a race discarded it without asking")
	}
	c.CancelRace()
	if c.Confirm || c.Runs[0] != first {
		t.Error("Keep the race did not keep it")
	}
	c.Race()
	c.ConfirmRace()
	if c.Confirm || c.Runs[0] == first {
		t.Error("Discard it did not start a new race")
	}
	if c.Key("x") {
		t.Error("x is not a key of the page")
	}
	c.Key("r")
	if len(c.Runs) != 0 {
		t.Error("R did not reset")
	}
	c.Input("epochs", "500")
	if c.Text("epochs") != "500" || !strings.Contains(c.Err("epochs"), "from 1 to 50") {
		t.Errorf("typed 500: the field shows %q with message %q", c.Text("epochs"), c.Err("epochs"))
	}
	c.Input("epochs", "5")
	if c.Err("epochs") != "" || c.State.Epochs != 5 {
		t.Errorf("typed 5: message %q, epochs %d", c.Err("epochs"), c.State.Epochs)
	}
	c.HashChanged("#epochs=7&theme=dark")
	if c.State.Epochs != 7 || c.Text("epochs") != "7" || c.State.Theme != "dark" || !strings.Contains(c.PageClass(), "theme-dark") {
		t.Errorf("hash change: %+v, field %q", c.State, c.Text("epochs"))
	}
}

const tinyHash = "#epochs=2&train=1000&batch=32&archs=5&evalimages=100"

func TestExports(t *testing.T) {
	c := NewRoot(nil, tinyHash)
	c.Race()
	r := c.Runs[1]
	r.Apply(msg.Batch{Events: []run.Event{
		{Type: run.TypeStarted, Started: &run.Started{Config: r.Config, Archs: 2}},
		{Type: run.TypeStep, Step: &run.Step{Step: 1, Loss: 2.3}},
		{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 0, TrainLoss: 2, ValAcc: 20}},
		{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 1, TrainLoss: 1.5, ValAcc: 30}},
		{Type: run.TypeRank, Rank: &run.RankProgress{Arch: "a,1", Pred: 30, Truth: 80}},
		{Type: run.TypeRank, Rank: &run.RankProgress{Arch: "b", Pred: 31, Truth: -1}},
		{Type: run.TypeDone, Done: &run.Done{Tau: 0.5}},
	}})
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var e exportRun
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if e.Run.Seed != r.Config.Seed || !reflect.DeepEqual(e.Run.Config, r.Config) || len(e.Events) != 7 || e.Results.Tau != 0.5 ||
		len(e.Ranking) != 2 || *e.Ranking[0].Truth != 80 || e.Ranking[1].Truth != nil {
		t.Errorf("run JSON %s", b)
	}
	rows, err := csv.NewReader(strings.NewReader(r.MetricsCSV())).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "epoch" || rows[2][1] != "1.5" {
		t.Errorf("metrics CSV %q (%v)", rows, err)
	}
	rows, err = csv.NewReader(strings.NewReader(r.RankingCSV())).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][0] != "a,1" || rows[2][2] != "" {
		t.Errorf("ranking CSV %q (%v)", rows, err)
	}
	for _, k := range []string{"json", "metrics", "ranking", "weights"} {
		if !c.CanExport(r, k) {
			t.Errorf("a done tab run cannot save %s", k)
		}
		if !strings.HasPrefix(r.FileName(k), "pada-pada-seed") {
			t.Errorf("file name %q", r.FileName(k))
		}
	}
	if c.CanExport(c.Runs[0], "ranking") {
		t.Error("a run with nothing ranked offers a ranking")
	}
	if code := c.EmbedCode(); !strings.Contains(code, "embed=1") || !strings.Contains(code, "padaHeight") {
		t.Errorf("embed code %q", code)
	}
	if strings.Contains(c.Link(false), "embed=1") {
		t.Errorf("link %q", c.Link(false))
	}
}

// The fixed-weight chart plots the estimator a run trains with beside
// uniform sampling at the same weights, and the drift chart reads events
// written before the drift fields were named (gv, gv_per_param).
func TestGradientCharts(t *testing.T) {
	r := NewRun("pa+da", 1)
	r.Apply(msg.Batch{Events: []run.Event{
		{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 0, GV: 4e-3, GVPerParam: 5e-8,
			GVFixed: &run.GVFixed{Draws: 8, Weighted: 3e-6, Unweighted: 7e-7, Uniform: 2e-6}}},
	}})
	c := &Root{State: Default(), Runs: []*Run{r}, ShowTables: true}
	gv := c.GVChart()
	for _, want := range []string{"Gradient variance at fixed weights", "uniform at the same weights", "unweighted (as trained)", "7e-07", "2e-06"} {
		if !strings.Contains(gv, want) {
			t.Errorf("fixed-weight chart lacks %q", want)
		}
	}
	drift := c.DriftChart()
	for _, want := range []string{"Gradient drift across an epoch", "0.004", "5e-08"} {
		if !strings.Contains(drift, want) {
			t.Errorf("drift chart lacks %q", want)
		}
	}
}

// A finished run's τ line carries its interval and the τ within groups of
// equal convolution count, when the done event has them.
func TestTauTextWithin(t *testing.T) {
	r := NewRun("pada", 0)
	r.Done = &run.Done{Tau: 0.412, Assessment: run.Assessment{TauCI: &stat.Interval{Lo: 0.3, Hi: 0.52},
		WithinConvs: &run.WithinTau{Within: stat.Within{Tau: 0.18, Groups: 3, Archs: 40, Pairs: 300}, CI: stat.Interval{Lo: 0.05, Hi: 0.31}}}}
	r.Ranked = []RankPoint{{"a", 80, 84}, {"b", 70, 83}}
	got := r.TauText()
	for _, want := range []string{"0.412 [0.30, 0.52]", "within equal conv counts τ = 0.18 [0.05, 0.31] (3 groups)"} {
		if !strings.Contains(got, want) {
			t.Errorf("TauText() = %q, want it to contain %q", got, want)
		}
	}
}
