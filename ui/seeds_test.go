package ui

import (
	"reflect"
	"strings"
	"testing"

	"pada/core/rank/stat"
	"pada/core/run"
)

// TestDefaultIsRacePreset: the page's default race is the race preset,
// sampler aside, so `serve train -preset race` reproduces it.
func TestDefaultIsRacePreset(t *testing.T) {
	cfgs, err := Default().Configs(true)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cfgs {
		want, _ := run.Preset("race")
		want.Sampler.Path, want.Sampler.Data = c.Sampler.Path, c.Sampler.Data
		if !reflect.DeepEqual(c, want) {
			t.Errorf("run %d: the page's default config\n%+v\nis not the race preset\n%+v", i, c, want)
		}
	}
	s := Default()
	s.Archs = 12
	c, _ := s.Configs(true)
	if c[0].Eval.Archs != "sample:12" || c[0].Eval.List != nil {
		t.Errorf("archs=12 gives %q %v, want a sample of 12", c[0].Eval.Archs, c[0].Eval.List)
	}
}

// finished is a done run of sampler over archs with the given predictions.
func finished(sampler string, seed uint64, pred, truth []float64) *Run {
	r := NewRun(sampler, 0)
	cfg, _ := run.Preset("race")
	cfg.Seed = seed
	r.Started = &run.Started{Config: cfg, Archs: len(pred), TrainImages: 3600, EvalImages: 1000, StepsPerEpoch: 57}
	for i := range pred {
		r.Ranked = append(r.Ranked, RankPoint{Arch: string(rune('a' + i)), Pred: pred[i], Truth: truth[i]})
	}
	rk := r.Ranking()
	ci := stat.TauInterval(rk.Pred, rk.Truth, stat.Bootstrap{Seed: seed})
	r.Done = &run.Done{Tau: stat.KendallTau(rk.Pred, rk.Truth), Archs: len(pred)}
	r.Done.TauCI = &ci
	r.Status = StatusDone
	return r
}

func TestVerdictAndSeeds(t *testing.T) {
	truth := []float64{80, 81, 82, 83, 84, 85, 86, 87, 88, 89}
	good := []float64{70, 71, 72, 73, 74, 75, 76, 77, 78, 79}
	noisy := []float64{73, 70, 72, 71, 75, 74, 77, 76, 79, 78}
	noisy2 := []float64{71, 70, 73, 72, 75, 74, 76, 77, 79, 78}
	bad := []float64{79, 78, 77, 76, 75, 74, 73, 72, 71, 70}
	for _, c := range []struct {
		name     string
		a, b     []float64
		winner   string
		noise    bool
		wantRows int
	}{
		{"close", noisy, noisy2, "", true, 1},
		{"clear", bad, good, "PA&DA ranks better than Uniform", false, 1},
	} {
		root := &Root{State: Default()}
		root.Runs = []*Run{finished("uniform", 0, c.a, truth), finished("pada", 0, c.b, truth)}
		v := root.Verdict()
		if c.noise != strings.Contains(v, "within the noise") || (c.winner != "" && !strings.Contains(v, c.winner)) {
			t.Errorf("%s: verdict %q", c.name, v)
		}
		if c.noise && strings.Contains(v, "ranks better than") {
			t.Errorf("%s: a winner named within the noise: %q", c.name, v)
		}
		root.recordSeed(1)
		root.recordSeed(1) // the same race again adds nothing
		if len(root.Record.Rows) != c.wantRows {
			t.Fatalf("%s: %d rows", c.name, len(root.Record.Rows))
		}
	}
	// Seeds add rows, and the foot holds mean ± sd.
	root := &Root{State: Default()}
	for seed := uint64(0); seed < 3; seed++ {
		root.State.Seed = seed
		root.Runs = []*Run{finished("uniform", seed, noisy, truth), finished("pada", seed, good, truth)}
		root.recordSeed(int(seed) + 1)
	}
	head, rows, foot := root.SeedTable()
	if len(head) != 4 || len(rows) != 3 || len(foot) != 4 {
		t.Fatalf("table %v %v %v", head, rows, foot)
	}
	if !strings.Contains(foot[1], "±") || !strings.Contains(foot[3], "higher on 3 of 3") {
		t.Errorf("foot %q", foot)
	}
	if html := root.SeedTableHTML(); !strings.Contains(html, "<tfoot>") || strings.Count(html, "<tr>") != 5 {
		t.Errorf("html %s", html)
	}
	// Other settings start a new table.
	root.State.Epochs = 3
	root.recordSeed(9)
	if len(root.Record.Rows) != 1 {
		t.Errorf("%d rows after the settings changed", len(root.Record.Rows))
	}
}

func TestTimeProgressAndEstimate(t *testing.T) {
	r := finished("uniform", 0, []float64{1, 2, 3}, []float64{1, 2, 3})
	r.Done, r.Ranked = nil, nil
	ep := r.Started.Config.Epochs
	r.Step = &run.Step{Step: ep * 57}
	train := float64(ep * 3600)
	rank := 3 * 1000 * EvalCost
	if got, want := r.TimeProgress(), train/(train+rank); got != want {
		t.Errorf("progress after training %v, want %v", got, want)
	}
	r.Step = &run.Step{Step: ep * 57 / 2}
	if got, want := r.TimeProgress(), train/2/(train+rank); got != want {
		t.Errorf("progress halfway %v, want %v", got, want)
	}
	cfgs, _ := Default().Configs(true)
	tr, rk := Work(cfgs[0])
	if want := StartSeconds + (tr+rk)/200; RaceSeconds(cfgs, 200, 2) != want {
		t.Errorf("2 runs on 2 cores: %v, want %v", RaceSeconds(cfgs, 200, 2), want)
	}
	if want := StartSeconds + 2*(tr+rk)/200; RaceSeconds(cfgs, 200, 1) != want {
		t.Errorf("2 runs on 1 core: %v, want %v", RaceSeconds(cfgs, 200, 1), want)
	}
	root := &Root{State: Default(), Truths: map[string]bool{"nb201": true}}
	if e := root.Estimate(); !strings.HasPrefix(e, "about ") || !strings.Contains(e, "images/s per worker") {
		t.Errorf("estimate %q", e)
	}
	for sec, want := range map[float64]string{45: "45 s", 170: "2 min 50 s", 120: "2 min", 3900: "1 h 5 min"} {
		if got := Duration(sec); got != want {
			t.Errorf("Duration(%v) = %q, want %q", sec, got, want)
		}
	}
}
