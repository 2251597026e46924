package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// sameGeoms are the geometries the im2col tests cover: 1×1, 3×3 and 5×5
// kernels, planes narrower than the kernel, odd sizes, an empty batch.
var sameGeoms = [][4]int{ // n, h, w, k
	{1, 1, 1, 1}, {2, 3, 3, 3}, {1, 1, 1, 3}, {3, 2, 5, 3}, {2, 5, 2, 3}, {4, 16, 16, 3},
	{2, 8, 8, 3}, {1, 7, 9, 5}, {3, 4, 4, 1}, {0, 4, 4, 3}, {1, 2, 2, 5}, {5, 6, 7, 3},
}

// TestIm2colSame checks Im2colSame element by element against its
// definition, then Col2imSame against the adjoint it must be: the sum of
// every entry of the gradient that reads inside the input, added tap by
// tap in order, rounded to float32 after each addition.
func TestIm2colSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, g := range sameGeoms {
		n, h, w, k := g[0], g[1], g[2], g[3]
		pad := (k - 1) / 2
		t.Run(fmt.Sprintf("n%d_h%d_w%d_k%d", n, h, w, k), func(t *testing.T) {
			hw, p := h*w, n*h*w
			src := randSlice(rng, p)
			col := randSlice(rng, k*k*p+3) // NaN-free garbage to be overwritten; 3 spare floats untouched
			spare := append([]float32(nil), col[k*k*p:]...)
			Im2colSame(col, src, n, h, w, k, pad)
			inside := func(y, x int) bool { return y >= 0 && y < h && x >= 0 && x < w }
			for kh := 0; kh < k; kh++ {
				for kw := 0; kw < k; kw++ {
					for i := 0; i < n; i++ {
						for y := 0; y < h; y++ {
							for x := 0; x < w; x++ {
								got := col[(kh*k+kw)*p+i*hw+y*w+x]
								var want float32
								if sy, sx := y+kh-pad, x+kw-pad; inside(sy, sx) {
									want = src[i*hw+sy*w+sx]
								}
								if got != want {
									t.Fatalf("tap (%d,%d) image %d (%d,%d): %v, want %v", kh, kw, i, y, x, got, want)
								}
							}
						}
					}
				}
			}
			for j, v := range col[k*k*p:] {
				if v != spare[j] {
					t.Fatalf("wrote past the matrix at %d", k*k*p+j)
				}
			}

			grad := randSlice(rng, k*k*p)
			acc := randSlice(rng, p)
			want := make([]float64, p)
			for j := range acc {
				want[j] = float64(acc[j])
			}
			for kh := 0; kh < k; kh++ {
				for kw := 0; kw < k; kw++ {
					for i := 0; i < n; i++ {
						for y := 0; y < h; y++ {
							for x := 0; x < w; x++ {
								if sy, sx := y+kh-pad, x+kw-pad; inside(sy, sx) {
									j := i*hw + sy*w + sx
									want[j] = float64(float32(want[j]) + grad[(kh*k+kw)*p+i*hw+y*w+x])
								}
							}
						}
					}
				}
			}
			g2 := append([]float32(nil), grad...)
			Col2imSame(acc, g2, n, h, w, k, pad)
			for j := range acc {
				if float64(acc[j]) != want[j] {
					t.Fatalf("col2im: acc[%d] = %v, want %v", j, acc[j], want[j])
				}
			}
		})
	}
}

func TestIm2colSamePanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"even kernel", func() { Im2colSame(make([]float32, 64), make([]float32, 16), 1, 4, 4, 2, 0) }},
		{"short col", func() { Im2colSame(make([]float32, 143), make([]float32, 16), 1, 4, 4, 3, 1) }},
		{"short acc", func() { Col2imSame(make([]float32, 15), make([]float32, 144), 1, 4, 4, 3, 1) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.f()
		}()
	}
}

// BenchmarkIm2colSame times one channel of the mini network's 3×3 layers
// (batch 64: planes of 16×16, 8×8, 4×4) with the pure-Go code ("go") and
// with Im2colSame/Col2imSame, which in the browser run the simd128 module
// when it is loaded (natively the two are the same code).
func BenchmarkIm2colSame(b *testing.B) {
	for _, s := range []int{16, 8, 4} {
		n, k := 64, 3
		p := n * s * s
		src, col, acc := make([]float32, p), make([]float32, k*k*p), make([]float32, p)
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"im2col/go", func() { im2colSameGo(col, src, n, s, s, k, 1) }},
			{"im2col/kernel", func() { Im2colSame(col, src, n, s, s, k, 1) }},
			{"col2im/go", func() { col2imSameGo(acc, col, n, s, s, k, 1) }},
			{"col2im/kernel", func() { Col2imSame(acc, col, n, s, s, k, 1) }},
		} {
			b.Run(fmt.Sprintf("hw%d/%s", s, c.name), func(b *testing.B) {
				b.SetBytes(int64(4 * k * k * p))
				for i := 0; i < b.N; i++ {
					c.f()
				}
			})
		}
	}
}
