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
	impls = append(impls, struct {
		name string
		f    sgemmFunc
	}{"avx", guarded(newWorkspace(), avxGemm)})
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
