//go:build !js

package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// serial is the single-threaded product for m, n, k > 0 and alpha != 0.
//
// Natively gonum's SSE kernels, fed contiguous tiles, run 1.2-3x faster
// than the pure-Go kernel on every conv shape measured (README.md). The
// pure-Go kernel stays for Aᵀ·Bᵀ, where gonum falls back to strided
// loops and is 2-4x slower, and for tiny products, where copying tiles
// costs more than it saves.
func serial(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch {
	case tA && tB || m*n*k < 1<<12:
		blocked(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case useAVX && (tA || !tB || m >= 24):
		// Everywhere but the weight gradients of narrow layers, where
		// packing B (n×k, k up to 262144) for a few rows of A costs more
		// than gonum's dot products reading it in place (m8·n72·k16384:
		// 6.0 vs 12.7 GFLOP/s; m32: 20.4 vs 12.2).
		avxGemm(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case !tA && tB && m <= gonumM && n <= gonumN && k <= 1<<14:
		// A weight gradient whose C fits one tile: gonum's own serial
		// path, dot products along k read in place, is fastest; copying
		// tiles costs too much with so few rows to reuse them.
		gonum.Implementation{}.Sgemm(blas.NoTrans, blas.Trans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	default:
		gonumTiles(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// Tiles for gonumTiles. gonum's Sgemm starts goroutines, and allocates,
// once C spans four or more 64×64 blocks; a 64×192 tile spans three, so
// every call stays serial. A k block of 512 keeps the tiles of A and B
// (128 KiB and 384 KiB) in L2.
const (
	gonumM = 64
	gonumN = 192
	gonumK = 512
)

// gonumTiles computes the product with gonum's serial kernels, one tile of
// C and block of k at a time. Each tile of A and B is first copied to a
// contiguous buffer: with a power-of-two leading dimension (NHW) the rows
// of a tile all map to the same cache sets, and gonum, reading them in
// place, ran from L3 at half speed on the larger shapes.
func gonumTiles(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if ws.ga == nil {
		ws.ga = make([]float32, gonumM*gonumK)
		ws.gb = make([]float32, gonumK*gonumN)
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	for jc := 0; jc < n; jc += gonumN {
		nb := min(gonumN, n-jc)
		for pc := 0; pc < k; pc += gonumK {
			kb := min(gonumK, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			var bp []float32
			ldbp := nb
			if tB {
				bp, ldbp = copyTile(ws.gb, b[jc*ldb+pc:], ldb, nb, kb), kb
			} else {
				bp = copyTile(ws.gb, b[pc*ldb+jc:], ldb, kb, nb)
			}
			for ic := 0; ic < m; ic += gonumM {
				mb := min(gonumM, m-ic)
				var ap []float32
				ldap := kb
				if tA {
					ap, ldap = copyTile(ws.ga, a[pc*lda+ic:], lda, kb, mb), mb
				} else {
					ap = copyTile(ws.ga, a[ic*lda+pc:], lda, mb, kb)
				}
				gonum.Implementation{}.Sgemm(ta, tb, mb, nb, kb, alpha, ap, ldap, bp, ldbp, bt, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// copyTile copies rows×cols elements of src (leading dimension ld) to the
// start of dst, packed, and returns them.
func copyTile(dst, src []float32, ld, rows, cols int) []float32 {
	for r := 0; r < rows; r++ {
		copy(dst[r*cols:r*cols+cols], src[r*ld:r*ld+cols])
	}
	return dst[:rows*cols]
}

// Kernel names the code that computes most of a training step ("avx512",
// "avx2" or "gonum"), for a run's backend string: their results differ in
// the last bits (the AVX kernels fuse multiply-adds, and with AVX-512
// package nn computes 3x3 convolutions directly, in another order), so a
// run is reproducible bit for bit on the same kernel and thread count.
func Kernel() string {
	switch {
	case useAVX && HasAVX512:
		return "avx512"
	case useAVX:
		return "avx2"
	}
	return "gonum"
}
