package stat

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteTau is tau-b straight from its definition, O(n^2).
func bruteTau(x, y []float64) float64 {
	var c, d, tx, ty float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			sx := math.Copysign(1, x[i]-x[j]) * b2f(x[i] != x[j])
			sy := math.Copysign(1, y[i]-y[j]) * b2f(y[i] != y[j])
			switch {
			case sx == 0 && sy == 0:
			case sx == 0:
				tx++
			case sy == 0:
				ty++
			case sx == sy:
				c++
			default:
				d++
			}
		}
	}
	return (c - d) / math.Sqrt((c+d+tx)*(c+d+ty))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestKendallTauKnownValues(t *testing.T) {
	for _, c := range []struct {
		x, y []float64
		want float64
	}{
		// scipy.stats.kendalltau's documented example (ties in both).
		{[]float64{12, 2, 1, 12, 2}, []float64{1, 4, 7, 1, 0}, -0.47140452079103173},
		{[]float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}, 0.7378647873726218},
		{[]float64{1, 2, 3}, []float64{3, 2, 1}, -1},
		{[]float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, 1},
	} {
		if got := KendallTau(c.x, c.y); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("KendallTau(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	if !math.IsNaN(KendallTau([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Error("constant x: want NaN")
	}
}

func TestKendallTauMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 50; trial++ {
		n := 2 + r.IntN(60)
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			// Few distinct values: many ties.
			x[i], y[i] = float64(r.IntN(5)), float64(r.IntN(4))+0.5*x[i]
		}
		want := bruteTau(x, y)
		got := KendallTau(x, y)
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Abs(got-want) > 1e-12) {
			t.Fatalf("n=%d: KendallTau = %v, definition gives %v\nx=%v\ny=%v", n, got, want, x, y)
		}
	}
}

func TestSpearman(t *testing.T) {
	// scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.8207826816681233
	if got := Spearman([]float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}); math.Abs(got-0.8207826816681233) > 1e-12 {
		t.Errorf("Spearman = %v", got)
	}
}

func TestTopOverlap(t *testing.T) {
	pred := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	truth := []float64{9, 10, 1, 2, 3, 4, 5, 6, 7, 8}
	if got := TopOverlap(pred, truth, 0.2); got != 1 {
		t.Errorf("top 20%% = %v, want 1", got)
	}
	if got := TopOverlap(pred, truth, 0.3); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("top 30%% = %v, want 2/3", got)
	}
}

func TestMeanSD(t *testing.T) {
	for _, tc := range []struct {
		v        []float64
		mean, sd float64
	}{
		{[]float64{2}, 2, 0},
		{[]float64{1, 3}, 2, math.Sqrt2},
		{[]float64{0.2, 0.4, 0.6, 0.8}, 0.5, math.Sqrt(0.2 / 3)},
	} {
		m, sd := MeanSD(tc.v)
		if math.Abs(m-tc.mean) > 1e-12 || math.Abs(sd-tc.sd) > 1e-12 {
			t.Errorf("MeanSD(%v) = %v, %v; want %v, %v", tc.v, m, sd, tc.mean, tc.sd)
		}
	}
	if m, sd := MeanSD(nil); !math.IsNaN(m) || !math.IsNaN(sd) {
		t.Errorf("MeanSD(nil) = %v, %v; want NaN, NaN", m, sd)
	}
}
