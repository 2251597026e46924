package gemm

import (
	"math"
	"testing"
)

// TestVecSemantics pins what the kernels compute on a few values, so that
// a change of both paths together cannot pass unnoticed.
func TestVecSemantics(t *testing.T) {
	negz := float32(math.Copysign(0, -1))
	x := []float32{-2, negz, 0, 3, -1, 5, 0.5, -0.25, 7, -7, 1, 2, 3, 4, 5, 6, -6}
	r := append([]float32(nil), x...)
	ReLU(r)
	want := []float32{0, 0, 0, 3, 0, 5, 0.5, 0, 7, 0, 1, 2, 3, 4, 5, 6, 0}
	for i := range r {
		if math.Float32bits(r[i]) != math.Float32bits(want[i]) {
			t.Fatalf("ReLU(%v)[%d] = %v, want %v", x[i], i, r[i], want[i])
		}
	}
	m := append([]float32(nil), x...)
	ones := make([]float32, len(x))
	for i := range ones {
		ones[i] = 1
	}
	MaskPositive(ones, m)
	for i := range ones {
		if (ones[i] == 1) != (x[i] > 0) {
			t.Fatalf("MaskPositive: [%d] = %v for m = %v", i, ones[i], x[i])
		}
	}
	var s, sq, dx, dxy float64
	for _, v := range x {
		s += float64(v)
		sq += (float64(v) - 1) * (float64(v) - 1)
		dx += float64(v)
		dxy += float64(v) * float64(v)
	}
	// Small integers and halves: every order gives the exact sum.
	if g := Sum64(x); g != s {
		t.Errorf("Sum64 = %v, want %v", g, s)
	}
	if g := SqDev64(x, 1); g != sq {
		t.Errorf("SqDev64 = %v, want %v", g, sq)
	}
	if g1, g2 := Dot64(x, x); g1 != dx || g2 != dxy {
		t.Errorf("Dot64 = %v, %v, want %v, %v", g1, g2, dx, dxy)
	}
}
