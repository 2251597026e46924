package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// im2colShapes are the geometries the general im2col tests cover: empty
// batches, planes smaller than the kernel, odd sizes, padding wider than
// the kernel's half and strides 1-3 (mini's 16x16 and 8x8 at stride 2).
func im2colShapes(yield func(n, h, w, k, pad, stride int)) {
	for _, n := range []int{0, 1, 3} {
		for _, hw := range [][2]int{{1, 1}, {2, 3}, {5, 4}, {7, 7}, {8, 8}, {9, 6}, {16, 16}} {
			for k := 1; k <= 4; k++ {
				for pad := 0; pad <= k; pad++ {
					for stride := 1; stride <= 3; stride++ {
						yield(n, hw[0], hw[1], k, pad, stride)
					}
				}
			}
		}
	}
}

// TestIm2colGeneral checks Im2col element by element against its
// definition, and Col2im against the adjoint summed in its documented
// order, bit for bit, at offsets 0-3 floats into the buffers (unaligned
// starts), with NaN-filled columns so that an element left unwritten
// shows.
func TestIm2colGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	im2colShapes(func(n, h, w, k, pad, stride int) {
		ho, wo := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
		if h+2*pad < k || w+2*pad < k {
			ho, wo = 0, 0
		}
		p, off := n*ho*wo, (n+h+k+stride)%4
		src := make([]float32, off+n*h*w)[off:]
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		col := make([]float32, off+k*k*p)[off:]
		for i := range col {
			col[i] = float32(math.NaN())
		}
		Im2col(col, src, n, h, w, k, pad, stride)
		at := func(i, y, x int) float32 {
			if y < 0 || y >= h || x < 0 || x >= w {
				return 0
			}
			return src[i*h*w+y*w+x]
		}
		for kh := 0; kh < k; kh++ {
			for kw := 0; kw < k; kw++ {
				for i := 0; i < n; i++ {
					for y := 0; y < ho; y++ {
						for x := 0; x < wo; x++ {
							got := col[(kh*k+kw)*p+(i*ho+y)*wo+x]
							want := at(i, y*stride+kh-pad, x*stride+kw-pad)
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("n%d h%d w%d k%d pad%d stride%d: tap (%d,%d) image %d (%d,%d) = %v, want %v", n, h, w, k, pad, stride, kh, kw, i, y, x, got, want)
							}
						}
					}
				}
			}
		}
		for i := range col {
			col[i] = float32(rng.NormFloat64())
		}
		acc := make([]float32, off+n*h*w)[off:]
		want := make([]float32, n*h*w)
		for i := range acc {
			acc[i] = float32(rng.NormFloat64())
			want[i] = acc[i]
		}
		Col2im(acc, col, n, h, w, k, pad, stride)
		for kh := 0; kh < k; kh++ {
			for kw := 0; kw < k; kw++ {
				for i := 0; i < n; i++ {
					for y := 0; y < ho; y++ {
						for x := 0; x < wo; x++ {
							iy, ix := y*stride+kh-pad, x*stride+kw-pad
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								want[i*h*w+iy*w+ix] += col[(kh*k+kw)*p+(i*ho+y)*wo+x]
							}
						}
					}
				}
			}
		}
		for i := range want {
			if math.Float32bits(acc[i]) != math.Float32bits(want[i]) {
				t.Fatalf("col2im n%d h%d w%d k%d pad%d stride%d: acc[%d] = %v, want %v", n, h, w, k, pad, stride, i, acc[i], want[i])
			}
		}
	})
}

// BenchmarkIm2colStride2 times one channel of mini's stride-2 3x3 layers
// (16x16 -> 8x8 and 8x8 -> 4x4, a block of 8 images) with Im2col/Col2im,
// which in the browser run the simd128 module, against the pure-Go loops.
func BenchmarkIm2colStride2(b *testing.B) {
	for _, s := range []int{16, 8} {
		n, k, o := 8, 3, s/2
		src := make([]float32, n*s*s)
		col := make([]float32, k*k*n*o*o)
		acc := make([]float32, n*s*s)
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"im2col/kernel", func() { Im2col(col, src, n, s, s, k, 1, 2) }},
			{"im2col/go", func() { im2colGo(col, src, n, s, s, k, 1, 2, o, o) }},
			{"col2im/kernel", func() { Col2im(acc, col, n, s, s, k, 1, 2) }},
			{"col2im/go", func() { col2imGo(acc, col, n, s, s, k, 1, 2, o, o) }},
		} {
			b.Run(c.name+"/"+string(rune('0'+s/8))+"x", func(b *testing.B) {
				for b.Loop() {
					c.f()
				}
			})
		}
	}
}
