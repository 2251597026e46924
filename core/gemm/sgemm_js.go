package gemm

import "time"

// serial is the single-threaded product for m, n, k > 0 and alpha != 0.
// In the browser there is no assembly to fall back on: it is the simd128
// kernel module when the host loaded it (simd_js.go), else the pure-Go
// kernel. Both give bit-identical results (simd_js_test.go).
func serial(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if timing {
		t0 := time.Now()
		defer func() { timed += time.Since(t0) }()
	}
	if simdOn {
		simdSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blocked(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Kernel names the code that computes products here, for a run's
// backend string: "wasm-simd128" when the simd128 module runs, "go"
// when the pure-Go kernel does.
func Kernel() string {
	if simdOn {
		return "wasm-simd128"
	}
	return "go"
}
