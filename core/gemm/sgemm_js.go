package gemm

// serial is the single-threaded product for m, n, k > 0 and alpha != 0.
// In the browser there is no assembly to fall back on, so it is always
// the pure-Go kernel.
func serial(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blocked(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Kernel names the code that computes products here, for a run's
// backend string: results differ in the last bits between kernels.
func Kernel() string { return "go" }
