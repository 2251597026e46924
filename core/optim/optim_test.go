package optim

import (
	"math"
	"testing"
)

func TestCosine(t *testing.T) {
	for _, c := range []struct {
		e, n int
		want float64
	}{{0, 250, 0.05}, {125, 250, 0.025}, {250, 250, 0}, {1, 4, 0.025 * (1 + math.Cos(math.Pi/4))}} {
		if got := Cosine(0.05, c.e, c.n); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Cosine(0.05, %d, %d) = %v, want %v", c.e, c.n, got, c.want)
		}
	}
}

func TestClipCoef(t *testing.T) {
	for _, c := range []struct{ total, want float64 }{{1, 1}, {4.999, 1}, {5, 5 / (5 + 1e-6)}, {10, 5 / (10 + 1e-6)}} {
		if got := ClipCoef(c.total, 5); math.Abs(float64(got)-c.want) > 1e-7 {
			t.Errorf("ClipCoef(%v, 5) = %v, want %v", c.total, got, c.want)
		}
	}
}

// TestSGDMatchesPyTorch replays three steps of torch.optim.SGD(lr=0.1,
// momentum=0.9, weight_decay=0.01) by hand: the first step sets the buffer
// to the gradient, later ones decay it.
func TestSGDMatchesPyTorch(t *testing.T) {
	o := SGD{Momentum: 0.9, WeightDecay: 0.01}
	p := []float32{1, -2}
	v := make([]float32, 2)
	grads := [][]float32{{0.5, 0.25}, {0, 0}, {-1, 1}}
	wp, wv := []float64{1, -2}, []float64{0, 0}
	for step, g := range grads {
		o.Step(p, g, v, 0.1)
		for i := range wp {
			d := float64(g[i]) + 0.01*wp[i]
			if step == 0 {
				wv[i] = d
			} else {
				wv[i] = 0.9*wv[i] + d
			}
			wp[i] -= 0.1 * wv[i]
			if math.Abs(float64(p[i])-wp[i]) > 1e-6 {
				t.Fatalf("step %d: p[%d] = %v, want %v", step, i, p[i], wp[i])
			}
		}
	}
}
