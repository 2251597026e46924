package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vecInputs returns a slice of n floats at an offset of off floats into
// its backing array (so unaligned starts), mixing normals, exact zeros of
// both signs, infinities, subnormals and NaNs of both signs.
func vecInputs(rng *rand.Rand, n, off int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00001), 1e-41, -1e-41}
	x := make([]float32, n+off)[off:]
	for i := range x {
		if rng.IntN(8) == 0 {
			x[i] = special[rng.IntN(len(special))]
		} else {
			x[i] = float32(rng.NormFloat64() * 3)
		}
	}
	return x
}

func bitsEqual(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

func same64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

// TestVecMatchesGo compares every vector kernel of the module with its Go
// loop, bit for bit, over lengths 0-70 and a few long ones, at offsets
// 0-3 floats. NaNs compare equal to NaNs (WebAssembly does not fix their
// payload); everything else, signed zeros included, must be identical.
func TestVecMatchesGo(t *testing.T) {
	requireSIMD(t)
	rng := rand.New(rand.NewPCG(5, 6))
	var lens []int
	for n := 0; n <= 70; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 255, 256, 257, 1023, 4099, 16384)
	finite := func(x []float32) {
		for i, v := range x {
			if v != v || math.IsInf(float64(v), 0) {
				x[i] = float32(i%7) - 3
			}
		}
	}
	for _, n := range lens {
		for off := 0; off < 4; off++ {
			x, m, y := vecInputs(rng, n, off), vecInputs(rng, n, (off+1)%4), vecInputs(rng, n, (off+2)%4)
			elem := []struct {
				name      string
				simd, go_ func(x []float32)
			}{
				{"ReLU", vecReLU, reluGo},
				{"MaskPositive", func(x []float32) { vecMask(x, m) }, func(x []float32) { maskGo(x, m) }},
				{"AddTo", func(x []float32) { vecAdd(x, y) }, func(x []float32) { addGo(x, y) }},
				{"AddConst", func(x []float32) { vecAddConst(x, 0.37) }, func(x []float32) { addConstGo(x, 0.37) }},
				{"Normalize", func(x []float32) { vecNormalize(x, -0.61, 1.7) }, func(x []float32) { normalizeGo(x, -0.61, 1.7) }},
				{"BNGrad", func(x []float32) { vecBNGrad(x, m, y, 1.3, 0.11, -0.29) }, func(x []float32) { bnGradGo(x, m, y, 1.3, 0.11, -0.29) }},
			}
			for _, e := range elem {
				if n == 0 {
					continue // the kernels take n > 0; the exported functions never call them with less
				}
				got, want := append([]float32(nil), x...), append([]float32(nil), x...)
				e.simd(got)
				e.go_(want)
				if i := bitsEqual(got, want); i >= 0 {
					t.Fatalf("%s n=%d off=%d: [%d] = %v (%#08x), Go %v (%#08x)", e.name, n, off, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
			// The exported functions, any length (0 included), against the Go loops.
			got, want := append([]float32(nil), x...), append([]float32(nil), x...)
			ReLU(got)
			reluGo(want)
			if i := bitsEqual(got, want); i >= 0 {
				t.Fatalf("ReLU n=%d: [%d] differs", n, i)
			}
			// Sums: finite inputs (with NaNs both are NaN anyway), then also
			// as drawn.
			fx, fy := append([]float32(nil), x...), append([]float32(nil), y...)
			finite(fx)
			finite(fy)
			for _, in := range [][2][]float32{{fx, fy}, {x, y}} {
				a, b := in[0], in[1]
				if g, w := Sum64(a), sum64Go(a); !same64(g, w) {
					t.Fatalf("Sum64 n=%d off=%d: %v, Go %v", n, off, g, w)
				}
				if g, w := SqDev64(a, 0.3), sqDev64Go(a, 0.3); !same64(g, w) {
					t.Fatalf("SqDev64 n=%d off=%d: %v, Go %v", n, off, g, w)
				}
				g1, g2 := Dot64(a, b)
				w1, w2 := dot64Go(a, b)
				if !same64(g1, w1) || !same64(g2, w2) {
					t.Fatalf("Dot64 n=%d off=%d: %v %v, Go %v %v", n, off, g1, g2, w1, w2)
				}
			}
		}
	}
}

// TestPool3BackMatchesGo compares the module's 3x3 average-pool gradient
// with the Go loops, bit for bit, on planes of every size up to 9x9 and
// the network's, 1 to 5 at a time.
func TestPool3BackMatchesGo(t *testing.T) {
	requireSIMD(t)
	rng := rand.New(rand.NewPCG(7, 8))
	var sizes [][2]int
	for h := 1; h <= 9; h++ {
		for w := 1; w <= 9; w++ {
			sizes = append(sizes, [2]int{h, w})
		}
	}
	sizes = append(sizes, [2]int{16, 16}, [2]int{32, 32}, [2]int{8, 13}, [2]int{3, 64})
	for _, s := range sizes {
		for planes := 1; planes <= 5; planes += 2 {
			h, w := s[0], s[1]
			dd := vecInputs(rng, planes*h*w, planes%4)
			ds := vecInputs(rng, planes*h*w, (planes+1)%4)
			got, want := append([]float32(nil), ds...), append([]float32(nil), ds...)
			AvgPool3Backward(got, dd, planes, h, w)
			var cs [MaxPoolW + 2]float32
			var inv [MaxPoolW]float32
			for x := 0; x < w; x++ {
				cx := 3
				if x == 0 || x == w-1 {
					cx = min(w, 2)
				}
				inv[x] = 1 / float32(cx)
			}
			pool3BackGo(want, dd, planes, h, w, &cs, &inv)
			if i := bitsEqual(got, want); i >= 0 {
				t.Fatalf("%d planes of %dx%d: [%d] = %v, Go %v", planes, h, w, i, got[i], want[i])
			}
		}
	}
}

// TestIm2colMatchesGo runs the module's general im2col and col2im against
// the pure-Go loops over im2colShapes, bit for bit, at offsets 0-3 floats,
// with the columns NaN-filled before im2col (an unwritten element shows)
// and a random acc before col2im. The stride-2 gather's vector loop stops
// eight floats before the end of the channel's planes, so the shapes
// include planes whose last rows take the scalar tail.
func TestIm2colMatchesGo(t *testing.T) {
	requireSIMD(t)
	rng := rand.New(rand.NewPCG(7, 8))
	im2colShapes(func(n, h, w, k, pad, stride int) {
		ho, wo, ok := checkGeneral(k*k*n*(h+2*pad)*(w+2*pad), n*h*w, n, h, w, k, pad, stride)
		if !ok {
			return
		}
		for off := 0; off < 4; off++ {
			src := make([]float32, off+n*h*w)[off:]
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			got := make([]float32, off+k*k*n*ho*wo)[off:]
			want := make([]float32, len(got))
			for i := range got {
				got[i], want[i] = float32(math.NaN()), float32(math.NaN())
			}
			im2colGen(got, src, n, h, w, k, pad, stride, ho, wo)
			im2colGo(want, src, n, h, w, k, pad, stride, ho, wo)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("im2col n%d h%d w%d k%d pad%d stride%d off%d: col[%d] = %v, Go %v", n, h, w, k, pad, stride, off, i, got[i], want[i])
				}
			}
			for i := range got {
				got[i] = float32(rng.NormFloat64())
			}
			accG := make([]float32, off+n*h*w)[off:]
			accW := make([]float32, len(accG))
			for i := range accG {
				accG[i] = float32(rng.NormFloat64())
				accW[i] = accG[i]
			}
			col2imGen(accG, got, n, h, w, k, pad, stride, ho, wo)
			col2imGo(accW, got, n, h, w, k, pad, stride, ho, wo)
			for i := range accG {
				if math.Float32bits(accG[i]) != math.Float32bits(accW[i]) {
					t.Fatalf("col2im n%d h%d w%d k%d pad%d stride%d off%d: acc[%d] = %v, Go %v", n, h, w, k, pad, stride, off, i, accG[i], accW[i])
				}
			}
		}
	})
}
