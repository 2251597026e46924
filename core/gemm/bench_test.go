package gemm

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"pada/core/par"
)

// convShape is one conv layer as a product: the layer's output is
// Y[cout, nhw] = W[cout, cinKK] · col[cinKK, nhw] with activations stored
// channel-major (CNHW).
type convShape struct{ cout, cinKK, nhw int }

var convShapes = []convShape{
	{8, 72, 16384}, // 3×3 convs
	{16, 144, 4096},
	{32, 288, 1024},
	{16, 144, 262144}, // NAS-Bench-201 scale batch
	{64, 576, 16384},
	{8, 8, 16384}, // 1×1 convs: k = Cin
	{16, 16, 4096},
	{32, 32, 1024},
	{64, 64, 16384},
}

// gemmShape is an Sgemm call: the three products of a conv layer.
type gemmShape struct {
	name    string
	tA, tB  bool
	m, n, k int
}

func benchShapes() []gemmShape {
	var s []gemmShape
	for _, c := range convShapes {
		s = append(s,
			// forward: Y = W · col
			gemmShape{fmt.Sprintf("fwd_m%d_n%d_k%d", c.cout, c.nhw, c.cinKK), false, false, c.cout, c.nhw, c.cinKK},
			// weight gradient: dW = dY · colᵀ
			gemmShape{fmt.Sprintf("wgrad_m%d_n%d_k%d", c.cout, c.cinKK, c.nhw), false, true, c.cout, c.cinKK, c.nhw},
			// input gradient: dcol = Wᵀ · dY
			gemmShape{fmt.Sprintf("igrad_m%d_n%d_k%d", c.cinKK, c.nhw, c.cout), true, false, c.cinKK, c.nhw, c.cout})
	}
	return s
}

// BenchmarkGemm times each conv product with every implementation in the
// same run: "go" is the pure-Go kernel alone, "sgemm" is Sgemm (natively it
// may hand the shape to gonum), "gonum" is gonum's Sgemm as is (run it with
// -cpu 1 to keep it on one thread) and "par2" is Parallel on two workers.
// GFLOP/s is per wall-clock second, GFLOP/cpu-s per second of process CPU
// time, which is steadier on a shared machine but counts both threads of
// par2. bench.sh turns the output into a table.
func BenchmarkGemm(b *testing.B) {
	pool := par.New(2)
	defer pool.Close()
	pp := NewParallel(pool)
	ws := newWorkspace()
	for _, s := range benchShapes() {
		// Operands are made inside b.Run so that -bench filters skip them.
		b.Run(s.name, func(b *testing.B) {
			x := make([]float32, s.m*s.k)
			y := make([]float32, s.k*s.n)
			z := make([]float32, s.m*s.n)
			// No zeros: gonum skips the update for a zero element of A.
			for i := range x {
				x[i] = float32(i%7+1) * 0.25
			}
			for i := range y {
				y[i] = float32(i%5+1) * 0.5
			}
			lda, ldb := s.k, s.n
			if s.tA {
				lda = s.m
			}
			if s.tB {
				ldb = s.k
			}
			impls := []struct {
				name string
				f    func()
			}{
				{"go", func() { blocked(ws, s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n) }},
				{"sgemm", func() { Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n) }},
				{"gonum", func() {
					gonum.Implementation{}.Sgemm(trans(s.tA), trans(s.tB), s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n)
				}},
				{"par2", func() { pp.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n) }},
				// Sgemm without the AVX2 path: gonum's kernels on tiles.
				{"noavx", func() {
					useAVX = false
					Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n)
					useAVX = hasAVX
				}},
			}
			for _, im := range impls {
				b.Run(im.name, func(b *testing.B) {
					c0 := cpuTime()
					for b.Loop() {
						im.f()
					}
					cpu := cpuTime() - c0
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if cpu > 0 {
						b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
					}
				})
			}
		})
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
