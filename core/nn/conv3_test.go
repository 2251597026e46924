package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// withConv3 runs f with the direct 3x3 path on and off (on only where the
// CPU has it), restoring the setting after.
func withConv3(t *testing.T, f func(t *testing.T)) {
	defer func(v bool) { useConv3 = v }(useConv3)
	for _, on := range []bool{false, true} {
		if on && !has512 {
			continue
		}
		useConv3 = on
		t.Run(fmt.Sprintf("conv3=%v", on), f)
	}
}

// conv3Geoms take the direct path when it is on: output channels a
// multiple of 8, with input channels a multiple of 8 (input gradient
// direct too) or not (the stem: weight gradient only), one-pixel and odd
// images, batches that span several blocks, strides 1 and 2.
var conv3Geoms = []ConvGeom{
	{Cin: 8, Cout: 8, N: 3, H: 5, W: 4, K: 3, Stride: 1, Pad: 1, ReLU: true},
	{Cin: 16, Cout: 8, N: 2, H: 1, W: 1, K: 3, Stride: 1, Pad: 1, ReLU: true},
	{Cin: 8, Cout: 16, N: 2, H: 3, W: 7, K: 3, Stride: 1, Pad: 1},
	{Cin: 3, Cout: 8, N: 2, H: 4, W: 4, K: 3, Stride: 1, Pad: 1},
	{Cin: 8, Cout: 8, N: 64, H: 16, W: 16, K: 3, Stride: 1, Pad: 1, ReLU: true},
	{Cin: 32, Cout: 32, N: 9, H: 4, W: 4, K: 3, Stride: 1, Pad: 1, ReLU: true},
	// Stride 2 (the reduction cells): phases, and odd sizes, which stay
	// on the im2col path.
	{Cin: 8, Cout: 16, N: 3, H: 8, W: 6, K: 3, Stride: 2, Pad: 1, ReLU: true},
	{Cin: 16, Cout: 8, N: 2, H: 2, W: 2, K: 3, Stride: 2, Pad: 1},
	{Cin: 3, Cout: 8, N: 2, H: 4, W: 10, K: 3, Stride: 2, Pad: 1, ReLU: true},
	{Cin: 8, Cout: 16, N: 64, H: 16, W: 16, K: 3, Stride: 2, Pad: 1, ReLU: true},
	{Cin: 8, Cout: 8, N: 2, H: 5, W: 7, K: 3, Stride: 2, Pad: 1, ReLU: true},
}

// refConv is the textbook convolution and its gradients in float64.
func refConv(g ConvGeom, x, w, bias, dy []float32) (out, dx, dw, db []float64) {
	ho, wo := g.OutH(), g.OutW()
	out, dx = make([]float64, g.OutLen()), make([]float64, g.InLen())
	dw, db = make([]float64, g.WeightLen()), make([]float64, g.Cout)
	for co := 0; co < g.Cout; co++ {
		for n := 0; n < g.N; n++ {
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					oi := ((co*g.N+n)*ho+oy)*wo + ox
					s := float64(bias[co])
					gy := float64(dy[oi])
					db[co] += gy
					for ci := 0; ci < g.Cin; ci++ {
						for kh := 0; kh < g.K; kh++ {
							for kw := 0; kw < g.K; kw++ {
								iy, ix := oy*g.Stride-g.Pad+kh, ox*g.Stride-g.Pad+kw
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								xi := ((ci*g.N+n)*g.H+iy)*g.W + ix
								wi := ((co*g.Cin+ci)*g.K+kh)*g.K + kw
								v := float64(x[xi])
								if g.ReLU && v <= 0 {
									v = 0
								} else {
									dx[xi] += gy * float64(w[wi])
								}
								s += v * float64(w[wi])
								dw[wi] += gy * v
							}
						}
					}
					out[oi] = s
				}
			}
		}
	}
	return out, dx, dw, db
}

func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > 1e-4*(1+math.Abs(w)) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], w)
		}
	}
}

// TestConvPaths checks Conv and ConvBackward against refConv on both
// paths, one and two threads, and that Backward accumulates.
func TestConvPaths(t *testing.T) {
	withConv3(t, func(t *testing.T) {
		for _, threads := range []int{1, 2} {
			b := NewCPU(threads)
			defer b.Close()
			for i, g := range conv3Geoms {
				r := rand.New(rand.NewPCG(9, uint64(i)))
				x := randVec(r, g.InLen(), false)
				w := randVec(r, g.WeightLen(), false)
				bias := randVec(r, g.Cout, false)
				dy := randVec(r, g.OutLen(), false)
				out, dx, dw, db := refConv(g, x, w, bias, dy)
				name := fmt.Sprintf("t%d %+v", threads, g)
				got := make([]float32, g.OutLen())
				for j := range got {
					got[j] = float32(math.NaN()) // Conv must overwrite
				}
				b.Conv(got, x, w, bias, g)
				closeTo(t, name+" out", got, out)
				// Without an input gradient (as for a stem) into a zero dw.
				gdw := make([]float32, g.WeightLen())
				b.ConvBackward(nil, gdw, nil, dy, x, w, g)
				closeTo(t, name+" dw alone", gdw, dw)
				// With one, into gradients that already hold values.
				gdx := randVec(r, g.InLen(), false)
				gdb := randVec(r, g.Cout, false)
				for j, v := range gdx {
					dx[j] += float64(v)
				}
				for j, v := range gdw {
					dw[j] += float64(v)
				}
				for j, v := range gdb {
					db[j] += float64(v)
				}
				b.ConvBackward(gdx, gdw, gdb, dy, x, w, g)
				closeTo(t, name+" dx", gdx, dx)
				closeTo(t, name+" dw", gdw, dw)
				closeTo(t, name+" db", gdb, db)
			}
		}
	})
}

// TestReluKernels checks reluInPlace and maskBy (AVX-512 where the CPU
// has it) against relu and notPositive on every length up to 40, with
// zeros of both signs, NaN and infinities among the values.
func TestReluKernels(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -1e-40}
	r := rand.New(rand.NewPCG(13, 14))
	for n := 0; n <= 40; n++ {
		x, m := randVec(r, n, false), randVec(r, n, false)
		for i := range x {
			if r.IntN(3) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
			if r.IntN(3) == 0 {
				m[i] = special[r.IntN(len(special))]
			}
		}
		got := append([]float32(nil), x...)
		reluInPlace(got)
		masked := append([]float32(nil), x...)
		maskBy(masked, m)
		for i, v := range x {
			if want := relu(v); math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: relu(%v) = %v, want %v", n, v, got[i], want)
			}
			want := v
			if notPositive(m[i]) != 0 {
				want = 0
			}
			if math.Float32bits(masked[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: %v masked by %v = %v, want %v", n, v, m[i], masked[i], want)
			}
		}
	}
}
