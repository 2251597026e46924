package gemm

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// requireSIMD skips a test when the host did not load the kernel module
// (the stock go_js_wasm_exec cannot run these binaries at all; with
// tools/wasmexec and PADA_WASM_SIMD=0 they run on the pure-Go kernel),
// and fails instead when PADA_REQUIRE_SIMD=1, as `make test-wasm` sets.
func requireSIMD(t *testing.T) {
	t.Helper()
	if simdOn {
		return
	}
	if os.Getenv("PADA_REQUIRE_SIMD") == "1" {
		t.Fatal("the simd128 kernel module was not loaded (run with tools/wasmexec/go_js_wasm_exec under node 16.4+)")
	}
	t.Skip("the simd128 kernel module is not loaded: only the pure-Go kernel runs")
}

// simdImpl is the kernel module behind Sgemm's argument checks.
var simdImpl = guarded(nil, func(_ *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	simdSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
})

// sameBits reports the first element where the two results differ in any
// bit (NaNs from untouched NaN padding compare equal).
func sameBits(t *testing.T, p *problem, got, want []float32) {
	t.Helper()
	for i := range got {
		g, w := math.Float32bits(got[i]), math.Float32bits(want[i])
		if g != w && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%v: c[%d] (row %d, col %d) = %v (%#08x), pure Go %v (%#08x)",
				p, i, i/p.ldc, i%p.ldc, got[i], g, want[i], w)
		}
	}
}

// compareSIMD runs p with the kernel module and with the pure-Go kernel
// on copies of the same C. Both sum each block of kc steps of k in the
// same order with the same roundings, so the results must be equal to
// the bit whenever alpha is a power of two (where scaling a before the
// product, as the packed path does, or the sum after it, as the pure-Go
// A·Bᵀ path does, are both exact); for other alphas they may differ in
// the last bit on that path, so they are held to the float64 bound.
func compareSIMD(t *testing.T, p *problem) {
	t.Helper()
	got := append([]float32(nil), p.c...)
	want := append([]float32(nil), p.c...)
	p.runWith(simdImpl, got)
	p.runWith(impls[1].f, want)
	frac, _ := math.Frexp(math.Abs(float64(p.alpha)))
	if frac == 0.5 || p.alpha == 0 {
		sameBits(t, p, got, want)
		return
	}
	w, tol := p.naive()
	check(t, p, got, w, tol)
}

// TestSIMDMatchesGo compares the two kernels over every transpose and
// many shapes: empty and tiny, around the 4×8 tile and the kc and nc
// blocks, with padded leading dimensions (so unaligned rows), every kind
// of beta and a NaN-filled C for beta == 0.
func TestSIMDMatchesGo(t *testing.T) {
	requireSIMD(t)
	dims := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33}
	if testing.Short() {
		dims = []int{0, 1, 3, 4, 8, 9, 17}
	}
	alphas := []float32{1, -1, 0.5, 2, 0.3}
	betas := []float32{0, 1, 0.7, -1}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range dims {
				for _, nn := range dims {
					for _, k := range dims {
						n++
						alpha, beta := alphas[n%len(alphas)], betas[(n/len(alphas))%len(betas)]
						pad := []int{0, 1, 3}[n%3]
						p := newProblem(rng, tA, tB, m, nn, k, pad, alpha, beta, beta == 0 && n%2 == 0)
						compareSIMD(t, p)
					}
				}
			}
		}
	}
	// Around the blocks of k (kc = 256) and of n (nc = 256 here, 1536 in
	// the pure-Go kernel), and the conv shapes of the mini network.
	big := [][3]int{
		{4, 257, 255}, {5, 300, 256}, {9, 513, 257}, {3, 17, 600}, {33, 520, 513},
		{8, 1024, 72}, {72, 1024, 8}, {8, 72, 1024}, {16, 64, 300}, {1, 1, 1000},
	}
	for i, s := range big {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				p := newProblem(rng, tA, tB, s[0], s[1], s[2], i%2, alphas[i%len(alphas)], betas[i%len(betas)], false)
				compareSIMD(t, p)
			}
		}
	}
}

// TestSIMDMemoryGrowth runs the kernel on slices that only fit after Go's
// memory has grown past a hundred megabytes: the module shares Go's
// Memory object, so it must see the new pages without being told.
func TestSIMDMemoryGrowth(t *testing.T) {
	requireSIMD(t)
	if testing.Short() {
		t.Skip("allocates about 100 MB")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tB := range []bool{false, true} {
		p := newProblem(rng, false, tB, 5, 1<<20+3, 9, 0, 1, 0.5, false)
		compareSIMD(t, p)
	}
}

// TestKernelName checks that Kernel says which kernels run.
func TestKernelName(t *testing.T) {
	want := "go"
	if simdOn {
		want = "wasm-simd128"
	}
	if got := Kernel(); got != want {
		t.Errorf("Kernel() = %q, want %q", got, want)
	}
}
