package stat

import (
	"math"
	"math/rand/v2"
	"testing"
)

// normalPair draws n pairs from a bivariate normal with correlation r,
// whose Kendall tau is (2/pi) asin r.
func normalPair(rng *rand.Rand, n int, r float64) (x, y []float64) {
	x, y = make([]float64, n), make([]float64, n)
	for i := range x {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x[i] = a
		y[i] = r*a + math.Sqrt(1-r*r)*b
	}
	return x, y
}

// TestTauIntervalCoverage: over 200 samples of 100 architectures with a
// known tau, the 95% interval covers it about 95% of the time.
func TestTauIntervalCoverage(t *testing.T) {
	const reps, n, r = 200, 100, 0.6
	truth := 2 / math.Pi * math.Asin(r)
	rng := rand.New(rand.NewPCG(11, 12))
	hit := 0
	var width float64
	for k := range reps {
		x, y := normalPair(rng, n, r)
		iv := TauInterval(x, y, Bootstrap{Resamples: 400, Seed: uint64(k)})
		if iv.Contains(truth) {
			hit++
		}
		width += (iv.Hi - iv.Lo) / reps
	}
	cov := float64(hit) / reps
	t.Logf("coverage %.3f of nominal 0.95, mean width %.3f (tau %.3f, n %d)", cov, width, truth, n)
	// Binomial standard error of the coverage is 0.015.
	if cov < 0.9 || cov > 0.99 {
		t.Fatalf("coverage %.3f", cov)
	}
}

func TestTauIntervalBrackets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := normalPair(rng, 80, 0.5)
	tau := KendallTau(x, y)
	a := TauInterval(x, y, Bootstrap{Seed: 3})
	if !a.Contains(tau) || a.Hi-a.Lo > 0.5 || a.Hi-a.Lo < 0.05 {
		t.Fatalf("tau %.3f, interval %+v", tau, a)
	}
	if b := TauInterval(x, y, Bootstrap{Seed: 3}); b != a {
		t.Fatalf("same seed, intervals %+v and %+v", a, b)
	}
	if c := TauInterval(x, y, Bootstrap{Seed: 4, Level: 0.5}); !(c.Lo > a.Lo && c.Hi < a.Hi) {
		t.Fatalf("a 50%% interval %+v is not inside the 95%% one %+v", c, a)
	}
}

func TestTauDiffs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 150
	truth := make([]float64, n)
	good, bad, same := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range truth {
		truth[i] = rng.NormFloat64()
		good[i] = truth[i] + 0.3*rng.NormFloat64()
		bad[i] = truth[i] + 3*rng.NormFloat64()
		same[i] = good[i] + 0.01*rng.NormFloat64()
	}
	b := Bootstrap{Seed: 1}
	for _, c := range []struct {
		name    string
		d       Diff
		verdict string
	}{
		{"paired good-bad", PairedTauDiff(good, bad, truth, b), Higher},
		{"paired bad-good", PairedTauDiff(bad, good, truth, b), Lower},
		{"paired good-same", PairedTauDiff(good, same, truth, b), WithinNoise},
		{"unpaired good-bad", TauDiff(good, truth, bad[:100], truth[:100], b), Higher},
		{"unpaired good-good half", TauDiff(good, truth, good[:75], truth[:75], b), WithinNoise},
		{"compare same archs", Compare(Ranking{[]string{"a"}, good, truth}, Ranking{[]string{"a"}, bad, truth}, b), Higher},
	} {
		if c.d.Verdict != c.verdict || !(c.d.CI.Lo <= c.d.Delta && c.d.Delta <= c.d.CI.Hi) {
			t.Errorf("%s: %+v, want %s", c.name, c.d, c.verdict)
		}
	}
	// The paired interval is narrower than the unpaired one of the same
	// rankings: what the two share cancels.
	p := PairedTauDiff(good, same, truth, b)
	u := TauDiff(good, truth, same, truth, b)
	if !(p.CI.Hi-p.CI.Lo < (u.CI.Hi-u.CI.Lo)/3) {
		t.Errorf("paired %+v, unpaired %+v", p.CI, u.CI)
	}
}

// TestWithinTau on a constructed case: a group of 5 ranked perfectly
// (tau 1, 10 pairs), a group of 6 ranked backwards (tau -1, 15 pairs), a
// group of 3 (too small) and a group of 5 with a constant prediction
// (undefined): the weighted mean is (10 - 15) / 25 = -0.2.
func TestWithinTau(t *testing.T) {
	var pred, truth []float64
	var key []int
	add := func(k int, p, tr []float64) {
		for i := range p {
			pred = append(pred, p[i])
			truth = append(truth, tr[i])
			key = append(key, k)
		}
	}
	add(2, []float64{1, 2, 3, 4, 5}, []float64{10, 20, 30, 40, 50})
	add(4, []float64{6, 5, 4, 3, 2, 1}, []float64{61, 62, 63, 64, 65, 66})
	add(0, []float64{1, 2, 3}, []float64{3, 2, 1})
	add(6, []float64{7, 7, 7, 7, 7}, []float64{1, 2, 3, 4, 5})
	w := WithinTau(pred, truth, key)
	want := Within{Tau: -0.2, Groups: 2, Archs: 11, Pairs: 25}
	if math.Abs(w.Tau-want.Tau) > 1e-12 || w.Groups != want.Groups || w.Archs != want.Archs || w.Pairs != want.Pairs {
		t.Fatalf("got %+v, want %+v", w, want)
	}
	if w := WithinTau(pred[:3], truth[:3], key[:3]); !math.IsNaN(w.Tau) || w.Groups != 0 {
		t.Fatalf("no group large enough: %+v", w)
	}
	iv := WithinInterval(pred, truth, key, Bootstrap{Seed: 1})
	if !(iv.Lo <= iv.Hi) || math.IsNaN(iv.Lo) {
		t.Fatalf("interval %+v", iv)
	}
}
