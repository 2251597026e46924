package train

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

func tinyConfig(path, data string) run.Config {
	c, _ := run.Preset("mini")
	c.Shape = space.Shape{InC: 1, H: 8, W: 8, C: 4, N: 1, Classes: 4, Batch: 16}
	c.Data = run.Data{Name: "synthetic", ValFrac: 0.2}
	c.Epochs = 3
	c.Sampler.Path, c.Sampler.Data = path, data
	c.Eval = run.Eval{Split: "eval", Archs: "list", List: []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
		"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
	}}
	c.Events.StepEvery = 2
	return c
}

// testProbeDraws is the probe setting of runEvents' sessions.
var testProbeDraws = DefaultProbeDraws

func runEvents(t *testing.T, c run.Config, threads int) []run.Event {
	t.Helper()
	tr := Synthetic(160, 1, 8, 8, 4, c.Seed)
	ev := Synthetic(40, 1, 8, 8, 4, c.Seed+1)
	sets, err := BuildSets(c, tr, ev)
	if err != nil {
		t.Fatal(err)
	}
	archs, truth, err := SelectArchs(c.Eval, c.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range truth.Acc {
		truth.Acc[i] = float64(80 - 10*i)
	}
	be := nn.NewCPU(threads)
	defer be.Close()
	net, err := supernet.New(c.Shape, be)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(c.Seed)
	var events []run.Event
	s, err := NewSession(c, net, sets, archs, truth, "test", func(e run.Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	s.Trainer().SetProbeDraws(testProbeDraws)
	for s.Advance() {
	}
	return events
}

// numbers drops wall-clock times, which differ between runs.
func numbers(t *testing.T, events []run.Event) string {
	var out []byte
	for _, e := range events {
		e.Time = 0
		if e.Epoch != nil {
			c := *e.Epoch
			c.Seconds = 0
			if c.GVFixed != nil {
				g := *c.GVFixed
				g.Seconds = 0
				c.GVFixed = &g
			}
			e.Epoch = &c
		}
		if e.Done != nil {
			c := *e.Done
			c.TrainSeconds, c.RankSeconds = 0, 0
			e.Done = &c
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, b...), '\n')
	}
	return string(out)
}

func TestRunIsReproducible(t *testing.T) {
	for _, s := range []struct{ path, data string }{{"uniform", "uniform"}, {"pa", "da"}, {"fairnas", "uniform"}} {
		c := tinyConfig(s.path, s.data)
		a := numbers(t, runEvents(t, c, 1))
		b := numbers(t, runEvents(t, c, 1))
		if a != b {
			t.Fatalf("%s/%s: two runs of one config and seed differ", s.path, s.data)
		}
		c.Seed = 1
		if numbers(t, runEvents(t, c, 1)) == a {
			t.Fatalf("%s/%s: another seed gives the same events", s.path, s.data)
		}
	}
}

func TestEventStream(t *testing.T) {
	c := tinyConfig("pa", "da")
	ev := runEvents(t, c, 2)
	if ev[0].Type != run.TypeStarted || ev[len(ev)-1].Type != run.TypeDone {
		t.Fatalf("stream starts with %q and ends with %q", ev[0].Type, ev[len(ev)-1].Type)
	}
	var epochs, steps, ranks int
	for _, e := range ev {
		switch e.Type {
		case run.TypeEpoch:
			epochs++
			if !(e.Epoch.GV > 0) || math.IsInf(e.Epoch.GV, 0) {
				t.Errorf("epoch %d: gradient variance %v", e.Epoch.Epoch, e.Epoch.GV)
			}
			if e.Epoch.Data == nil {
				t.Errorf("epoch %d: DA run without a data summary", e.Epoch.Epoch)
			}
			if e.Epoch.Drift != e.Epoch.GV || e.Epoch.GVFixed == nil || !(e.Epoch.GVFixed.Uniform > 0) {
				t.Errorf("epoch %d: drift %v (gv %v), fixed-weight variance %+v", e.Epoch.Epoch, e.Epoch.Drift, e.Epoch.GV, e.Epoch.GVFixed)
			}
		case run.TypeStep:
			steps++
		case run.TypeRank:
			ranks++
		}
	}
	if d := ev[len(ev)-1].Done; d.TauCI == nil || !d.TauCI.Contains(d.Tau) || len(d.Baselines) != 3 || d.Baselines[2].Name != "convs" {
		t.Errorf("done: tau %v, interval %+v, baselines %+v", d.Tau, d.TauCI, d.Baselines)
	}
	if epochs != c.Epochs || steps == 0 || ranks != 3 {
		t.Fatalf("%d epoch, %d step, %d rank events", epochs, steps, ranks)
	}
	// After epoch 0 (tau = 0) the path distribution is still uniform; after
	// epoch 1 PA has moved mass to the convolutions.
	var p1 [][]float64
	for _, e := range ev {
		if e.Type == run.TypeEpoch && e.Epoch.Epoch == 1 {
			p1 = e.Epoch.PathProbs
		}
	}
	if len(p1) != 6 || len(p1[0]) != 5 || !(p1[0][space.Conv3x3] > 0.2 && p1[0][space.None] < 0.2) {
		t.Errorf("PA after epoch 1: %v", p1[0])
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	c := tinyConfig("pa", "da")
	c.Events.StepEvery = 1 << 30
	c.Sampler.Unbiased = true
	tr := Synthetic(1000, 1, 8, 8, 4, 0)
	sets, err := BuildSets(c, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := supernet.New(c.Shape, nn.NewCPU(2))
	net.Init(0)
	trn, err := NewTrainer(c, net, sets.Train, sets.Val)
	if err != nil {
		t.Fatal(err)
	}
	trn.Step()
	// Steps inside an epoch (the epoch's end allocates its event).
	if n := testing.AllocsPerRun(20, func() { trn.Step() }); n != 0 {
		t.Fatalf("a training step allocates %v times", n)
	}
}

func TestGradVar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const T, n = 7, 5
	g := make([][]float32, T)
	v := gradVar{sum: make([]float64, n)}
	for i := range g {
		g[i] = make([]float32, n)
		for j := range g[i] {
			g[i][j] = float32(r.NormFloat64() + 3)
		}
		v.add(g[i])
	}
	// Direct: mean over coordinates of the per-coordinate variance, summed.
	var want float64
	for j := 0; j < n; j++ {
		var m, s float64
		for i := range g {
			m += float64(g[i][j])
		}
		m /= T
		for i := range g {
			d := float64(g[i][j]) - m
			s += d * d
		}
		want += s / T
	}
	if got := v.take(); math.Abs(got-want) > 1e-9*want {
		t.Fatalf("GV = %v, want %v", got, want)
	}
	if v.take() != 0 {
		t.Fatal("take does not reset the window")
	}
}
