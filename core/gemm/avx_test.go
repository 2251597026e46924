package gemm

import (
	"math/rand/v2"
	"testing"
)

// The AVX2 path joins the implementations every product test checks, on
// CPUs that have it.
func init() {
	if !hasAVX {
		return
	}
	ws := newWorkspace()
	impls = append(impls, struct {
		name string
		f    sgemmFunc
	}{"avx", func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
		if m == 0 || n == 0 {
			return
		}
		if alpha == 0 || k == 0 {
			scale(m, n, beta, c, ldc)
			return
		}
		avxGemm(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}})
}

// TestAVXBlocks crosses the AVX2 path's own block boundaries.
func TestAVXBlocks(t *testing.T) {
	if !hasAVX {
		t.Skip("this CPU has no AVX2 with FMA")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][3]int{
		{vmr, vnr, 1}, {vmr + 1, vnr + 1, vkc + 1}, {vmc + 7, 33, 2*vkc + 3},
		{5, vnc + 17, 9}, {2 * vmc, 2 * vnc, vkc}, {1, 1, 3 * vkc},
	} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				checkImpls(t, newProblem(rng, tA, tB, s[0], s[1], s[2], 3, 0.5, 0.25, false))
			}
		}
	}
}
