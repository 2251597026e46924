package train

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
	"pada/core/supernet"
)

// tinyTrainer is a trainer of a very small supernet on two images with a
// batch of two, small enough to enumerate every path and batch.
func tinyTrainer(t *testing.T, path, data string, unbiased bool) *Trainer {
	t.Helper()
	c := tinyConfig(path, data)
	c.Shape = space.Shape{InC: 1, H: 8, W: 8, C: 2, N: 1, Classes: 3, Batch: 2}
	c.Data.ValFrac = 0
	c.Sampler.Unbiased = unbiased
	c.Epochs = 10
	sets, err := BuildSets(c, Synthetic(2, 1, 8, 8, 3, 5), nil)
	if err != nil {
		t.Fatal(err)
	}
	net, err := supernet.New(c.Shape, nn.NewCPU(1))
	if err != nil {
		t.Fatal(err)
	}
	net.Init(3)
	tr, err := NewTrainer(c, net, sets.Train, sets.Val)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// gradient is the float64 gradient of path a on the images idx of tr's
// training set, with per-sample loss weights w (nil: none).
func gradient(tr *Trainer, a space.Arch, idx []int, w []float32) []float64 {
	m := tr.net
	x := make([]float32, len(tr.x))
	y := make([]int32, len(tr.y))
	tr.train.Batch(x, y, idx, false, nil)
	m.ZeroGrad()
	m.Forward(x, len(idx), a)
	m.Loss(y, w)
	m.Backward()
	g := make([]float64, len(m.Grads))
	for i, v := range m.Grads {
		g[i] = float64(v)
	}
	return g
}

// enumeration holds every path's gradient on the batch of the tiny
// trainer's two images, in space.All's order.
var enumeration struct {
	once  sync.Once
	archs []space.Arch
	grads [][]float64
}

func enumerate(t *testing.T) ([]space.Arch, [][]float64) {
	enumeration.once.Do(func() {
		tr := tinyTrainer(t, "uniform", "uniform", false)
		enumeration.archs = space.All()
		for _, a := range enumeration.archs {
			enumeration.grads = append(enumeration.grads, gradient(tr, a, []int{0, 1}, nil))
		}
	})
	return enumeration.archs, enumeration.grads
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

// TestProbeMatchesBruteForce: the probe's figures equal a direct
// computation from the same draws (replayed from the probe's stream, each
// gradient computed on its own, the definitions of PADA.md §5 applied
// with whole vectors), for uniform sampling and for PA&DA away from
// uniform.
//
// A comparison with the exact variance over all paths has no power on a
// network this small: a few paths with a nearly constant BatchNorm input
// have gradients 10^3-10^5 times the median's, so a probe of even 20,000
// draws misses most of the variance (measured: exact 2,259, probe 225).
func TestProbeMatchesBruteForce(t *testing.T) {
	for _, c := range []struct{ path, data string }{{"uniform", "uniform"}, {"pa", "da"}} {
		tr := tinyTrainer(t, c.path, c.data, false)
		if c.path == "pa" {
			paState(tr.path, 5)
			tr.data.Observe(0, 3)
			tr.data.Observe(1, 1)
			tr.data.EndEpoch(5, 10)
		}
		const M = 60
		tr.SetProbeDraws(M)
		got := tr.gvFixed()

		r := rand.New(rand.NewPCG(tr.cfg.Seed, probeStream+uint64(tr.epoch)))
		N := tr.data.Len()
		var xs, ws, us [][]float64
		for range M {
			a := tr.path.Sample(r, nil)[0]
			idx := []int{tr.data.Draw(r), tr.data.Draw(r)}
			xs = append(xs, gradient(tr, a, idx, nil))
			if c.path == "uniform" {
				continue
			}
			w := make([]float32, 2)
			for i, id := range idx {
				w[i] = float32(1 / (space.NumArchs * tr.path.Prob(a)) / (float64(N) * tr.data.Prob(id)))
			}
			ws = append(ws, gradient(tr, a, idx, w))
			var u space.Arch
			for e := range u {
				u[e] = space.Op(r.IntN(space.NumOps))
			}
			us = append(us, gradient(tr, u, []int{r.IntN(N), r.IntN(N)}, nil))
		}
		if us == nil {
			us = xs
		}
		P := float64(len(xs[0]))
		ubar := make([]float64, len(xs[0]))
		for _, u := range us {
			for i, v := range u {
				ubar[i] += v / M
			}
		}
		var s2 float64
		for _, u := range us {
			s2 += sqDist(u, ubar) / (M - 1)
		}
		gv := func(xs [][]float64) float64 {
			var d float64
			for _, x := range xs {
				d += sqDist(x, ubar) / M
			}
			return (d - s2/M) / P
		}
		want := run.GVFixed{Draws: M, Uniform: s2 / P, Weighted: s2 / P, Unweighted: s2 / P}
		if ws != nil {
			want.Weighted, want.Unweighted = gv(ws), gv(xs)
		}
		close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Abs(b) }
		if got.Draws != M || !close(got.Uniform, want.Uniform) || !close(got.Weighted, want.Weighted) || !close(got.Unweighted, want.Unweighted) {
			t.Errorf("%s/%s: probe %+v, direct %+v", c.path, c.data, *got, want)
		}
		if !(want.Uniform > 0) || (ws != nil && want.Weighted == want.Unweighted) {
			t.Errorf("%s/%s: degenerate case %+v", c.path, c.data, want)
		}
		t.Logf("%s/%s: %+v", c.path, c.data, *got)
	}
}

// TestProbeLeavesTrainingAlone: a run with the probe gives the same
// training numbers as a run without it, and the probe's figures are
// finite and positive for every sampler.
func TestProbeLeavesTrainingAlone(t *testing.T) {
	for _, s := range []struct {
		path, data string
		unbiased   bool
	}{{"uniform", "uniform", false}, {"pa", "da", false}, {"pa", "da", true}, {"fairnas", "da", false}} {
		c := tinyConfig(s.path, s.data)
		c.Sampler.Unbiased = s.unbiased
		with := runEventsProbe(t, c, DefaultProbeDraws)
		without := runEventsProbe(t, c, 0)
		for _, e := range with {
			if e.Type != run.TypeEpoch {
				continue
			}
			g := e.Epoch.GVFixed
			if g == nil || g.Draws != DefaultProbeDraws || !(g.Uniform > 0) || math.IsInf(g.Weighted, 0) || math.IsNaN(g.Weighted) || math.IsNaN(g.Unweighted) {
				t.Errorf("%+v epoch %d: probe %+v", s, e.Epoch.Epoch, g)
			}
			e.Epoch.GVFixed = nil
		}
		if numbers(t, with) != numbers(t, without) {
			t.Errorf("%+v: the probe changes the run", s)
		}
	}
}

func runEventsProbe(t *testing.T, c run.Config, draws int) []run.Event {
	old := testProbeDraws
	testProbeDraws = draws
	defer func() { testProbeDraws = old }()
	return runEvents(t, c, 1)
}

// TestWeightedLossReusesForward: a weighted Loss and Backward after a
// Backward give the gradient a fresh forward pass gives (the probe relies
// on it).
func TestWeightedLossReusesForward(t *testing.T) {
	tr := tinyTrainer(t, "uniform", "uniform", false)
	a, _ := space.Parse("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|")
	idx := []int{0, 1}
	w := []float32{0.3, 2.5}
	want := gradient(tr, a, idx, w)
	m := tr.net
	x := make([]float32, len(tr.x))
	y := make([]int32, len(tr.y))
	tr.train.Batch(x, y, idx, false, nil)
	m.ZeroGrad()
	m.Forward(x, 2, a)
	m.Loss(y, nil)
	m.Backward()
	m.ZeroGrad()
	m.Loss(y, w)
	m.Backward()
	for i, v := range m.Grads {
		if float64(v) != want[i] {
			t.Fatalf("gradient %d: %v after reuse, %v fresh", i, v, want[i])
		}
	}
}

// paState puts a PA sampler into the distribution it has after epoch e of
// 10, with conv3x3 scoring twice conv1x1.
func paState(p sampler.Path, e int) {
	p.Observe([]space.Arch{{3, 2, 3, 2, 3, 2}}, func(_ int, op space.Op) float64 { return float64(op) - 1 })
	p.EndEpoch(e, 10)
}

// TestUnbiasedWeights: the data weights have mean 1 over a batch, the
// path weight has mean 1 under the path distribution, and below the cap
// the weighted expectation of any function of the path is its uniform
// average; late in a run the cap is reached, z < 1, and no weight exceeds
// the cap.
func TestUnbiasedWeights(t *testing.T) {
	tr := tinyTrainer(t, "pa", "da", true)
	r := rand.New(rand.NewPCG(1, 2))
	f := make(map[space.Arch]float64)
	for _, a := range space.All() {
		f[a] = r.NormFloat64() + 2
	}
	for _, e := range []int{1, 3, 9} {
		p := sampler.NewPA(space.NB201Cell, false)
		paState(p, e)
		tr.path = p
		tr.zEpoch = -1
		// DA with a skewed distribution over the two images.
		d := sampler.NewDA(2)
		d.Observe(0, 3)
		d.Observe(1, 1)
		d.EndEpoch(e, 10)
		tr.data = d
		tr.idx = append(tr.idx[:0], 0, 1)
		tr.paths = append(tr.paths[:0], space.Arch{0, 1, 2, 3, 4, 0})
		w := tr.importanceWeights(2)
		pw := tr.pathWeight(tr.paths[0])
		if m := float64(w[0]+w[1]) / 2; math.Abs(m/pw-1) > 1e-6 {
			t.Errorf("epoch %d: data weights %v have mean %v, want 1", e, w, m/pw)
		}
		if w[0] == w[1] {
			t.Errorf("epoch %d: data weights %v do not depend on q", e, w)
		}
		var mean, ef, uf, most float64
		for _, a := range space.All() {
			q := p.Prob(a)
			most = max(most, tr.pathWeight(a))
			mean += q * tr.pathWeight(a)
			ef += q * tr.pathWeight(a) * f[a]
			uf += f[a] / space.NumArchs
		}
		if math.Abs(mean-1) > 1e-9 || most > UnbiasedCap {
			t.Errorf("epoch %d: path weight mean %v (want 1), largest %v (cap %v)", e, mean, most, UnbiasedCap)
		}
		z := PathWeightNorm(space.NB201Cell, p)
		switch {
		case e <= 3 && (math.Abs(z-1) > 1e-9 || math.Abs(ef-uf) > 1e-9):
			t.Errorf("epoch %d (below the cap): Z = %v, weighted mean %v, uniform mean %v", e, z, ef, uf)
		case e == 9 && !(z < 1):
			t.Errorf("epoch 9: Z = %v; the cap should be reached", z)
		}
	}
}

// TestUnbiasedEstimatorOnTinyNetwork: on a fixed batch of a tiny network,
// the unbiased mode's estimator with paths drawn from a PA distribution
// far from uniform (below the cap) has, exactly (summed over all 15,625
// paths with their probabilities), the uniform-average gradient as its
// expectation; the unweighted estimator's expectation is far from it.
// (A Monte Carlo mean has no power here: see TestProbeMatchesBruteForce.)
func TestUnbiasedEstimatorOnTinyNetwork(t *testing.T) {
	archs, full := enumerate(t)
	P := len(full[0])
	gbar := make([]float64, P)
	for _, g := range full {
		for i, v := range g {
			gbar[i] += v / space.NumArchs
		}
	}
	tr := tinyTrainer(t, "pa", "uniform", true)
	paState(tr.path, 3)
	if z := PathWeightNorm(tr.sp, tr.path); math.Abs(z-1) > 1e-9 {
		t.Fatalf("Z = %v: the cap is reached", z)
	}
	weighted := make([]float64, P)
	plain := make([]float64, P)
	tr.idx = append(tr.idx[:0], 0, 1)
	for k, a := range archs {
		tr.paths = append(tr.paths[:0], a)
		w := tr.importanceWeights(2) // uniform data: both equal the path weight
		q := tr.path.Prob(a)
		for i, v := range full[k] {
			weighted[i] += q * float64(w[0]) * v
			plain[i] += q * v
		}
	}
	norm := math.Sqrt(sqDist(gbar, make([]float64, P)))
	if d := math.Sqrt(sqDist(weighted, gbar)); d > 1e-6*norm {
		t.Errorf("weighted estimator: expectation %.3g from the uniform average (norm %.3g)", d, norm)
	}
	if d := math.Sqrt(sqDist(plain, gbar)); d < 0.05*norm {
		t.Errorf("unweighted estimator: expectation only %.3g from the uniform average (norm %.3g); the test has no power", d, norm)
	} else {
		t.Logf("unweighted estimator's bias: %.3g of a norm %.3g", d, norm)
	}
}
