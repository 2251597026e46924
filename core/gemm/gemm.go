// Package gemm multiplies row-major float32 matrices for the conv layers:
// with activations stored channel-major, a convolution and its two
// gradients are each one matrix product, so this is where training spends
// its time.
//
// Sgemm is single-threaded and allocation-free; Parallel splits one product
// over a par.Pool. The core is a cache-blocked pure-Go kernel (packed
// panels, a register-blocked micro-kernel) written so that the Go compiler
// emits no bounds checks and no spills in its inner loop, because the same
// code must be fast when compiled to WebAssembly, which has no SIMD.
// Natively, shapes where gonum's assembly kernels measured faster go to
// gonum instead (see sgemm_native.go and README.md for the numbers).
package gemm

import "sync"

//go:generate go run gen_kernel.go

// Blocking parameters. A micro-panel holds kc steps of k for mr rows of A
// (or nr columns of B): 4 KiB or less, so the two panels the micro-kernel
// streams stay in L1. An mc×kc block of A (128 KiB) stays in L2 while the
// kernel walks across the B panels.
const (
	kUnroll = 4                // k steps per micro-kernel iteration; gen_kernel.go must agree
	kc      = 256              // k block
	kcRows  = kc / kUnroll     // rows of a packed micro-panel, a power of two (see kernel)
	mc      = 32 * mr          // rows of A packed at a time
	nc      = 512 * nr         // columns of B packed at a time
	aRows   = mc / mr * kcRows // packed A block, in rows of aRow
	bRows   = nc / nr * kcRows // packed B block, in rows of bRow
)

// A packed micro-panel is a sequence of rows, each holding kUnroll steps of
// k for the mr rows of A (nr columns of B) of one micro-tile. The kernel
// takes a panel as a pointer to a fixed-size array so that indexing it
// needs no bounds check; panels of a block are packed back to back (kcU
// rows each, not kcRows) and the array view simply extends into the next
// panel, which keeps short-k panels dense in cache.
type (
	aRow   = [kUnroll * mr]float32
	bRow   = [kUnroll * nr]float32
	aPanel = [kcRows]aRow
	bPanel = [kcRows]bRow
)

// workspace is the packing scratch of one thread.
type workspace struct {
	a    []aRow
	b    []bRow
	tile [mr * nr]float32 // an edge micro-tile, before it is clipped into C
	ea   [mr * kc]float32 // the rows of A and B of an edge tile for kernelNT,
	eb   [nr * kc]float32 // zero-padded to whole tiles

	ga, gb []float32 // tiles of A and B for gonum (native only)

	va, vb []float32          // packed blocks for the AVX2 path (amd64 only)
	vtile  [vmr * vnr]float32 // an edge micro-tile of the AVX2 path
}

func newWorkspace() *workspace {
	return &workspace{a: make([]aRow, aRows), b: make([]bRow, bRows)}
}

// workspaces lets concurrent Sgemm calls each have their own scratch
// without allocating once warm: Get and Put of a pointer do not allocate.
var workspaces = sync.Pool{New: func() any { return newWorkspace() }}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// where op(X) is X or Xᵀ as tA and tB say, op(A) is m×k, op(B) is k×n and C
// is m×n. It has the semantics of BLAS sgemm; in particular beta == 0
// overwrites C without reading it, so NaNs in C do not propagate. As in
// reference BLAS, and only natively, a zero in A may skip its update, so a
// NaN or Inf it meets in B is not always propagated.
//
// Sgemm runs on the calling goroutine and allocates nothing once warm. It
// panics if a dimension is negative, a leading dimension is too small or a
// slice is too short.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	ws := workspaces.Get().(*workspace)
	serial(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	workspaces.Put(ws)
}

// checkArgs panics, like gonum's BLAS, on arguments that can only come from
// a programming error.
func checkArgs(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("gemm: negative dimension")
	}
	rowsA, colsA := m, k
	if tA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if tB {
		rowsB, colsB = n, k
	}
	if lda < max(1, colsA) {
		panic("gemm: bad lda")
	}
	if ldb < max(1, colsB) {
		panic("gemm: bad ldb")
	}
	if ldc < max(1, n) {
		panic("gemm: bad ldc")
	}
	if m == 0 || n == 0 {
		return
	}
	if rowsA > 0 && colsA > 0 && len(a) < (rowsA-1)*lda+colsA {
		panic("gemm: insufficient length of a")
	}
	if rowsB > 0 && colsB > 0 && len(b) < (rowsB-1)*ldb+colsB {
		panic("gemm: insufficient length of b")
	}
	if len(c) < (m-1)*ldc+n {
		panic("gemm: insufficient length of c")
	}
}

// scale sets C = beta*C, writing zeros (not 0*C) when beta == 0.
func scale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// blocked is the pure-Go product, for m, n, k > 0 and alpha != 0.
func blocked(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if tA || !tB || k < kc || m > 4*mr {
		packed(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// A·Bᵀ (the weight gradient) has both operands contiguous along k, so
	// its whole blocks of k can be read in place. With few rows in A that
	// beats packing, whose cost is then close to the product's (m = 8:
	// 1.1-1.8x faster, also on wasm); with more rows, re-reading B in place
	// for every row of tiles is slower than packing it once (m = 64:
	// 0.85x), since with a power-of-two ldb its rows share cache sets.
	full := k / kc * kc
	for pc := 0; pc < full; pc += kc {
		bt := beta
		if pc > 0 {
			bt = 1
		}
		direct(ws, m, n, alpha, a[pc:], lda, b[pc:], ldb, bt, c, ldc)
	}
	if full < k {
		packed(ws, tA, tB, m, n, k-full, alpha, a[full:], lda, b[full:], ldb, 1, c, ldc)
	}
}

// direct adds alpha·A·Bᵀ for one block of kc steps of k into C, with
// kernelNT reading A and B in place. It walks C a row of tiles at a time,
// like macro, so that the mr rows of A stay in L1.
func direct(ws *workspace, m, n int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for ir := 0; ir < m; ir += mr {
		for jr := 0; jr < n; jr += nr {
			if ir+mr <= m && jr+nr <= n {
				kernelNT(a[ir*lda:], lda, b[jr*ldb:], ldb, alpha, beta, c[ir*ldc+jr:], ldc)
				continue
			}
			// Edge tile: copy its rows of A and B, zero-padded, compute it
			// whole, then store the part inside C.
			for i := 0; i < mr; i++ {
				row := ws.ea[i*kc : i*kc+kc]
				if ir+i < m {
					copy(row, a[(ir+i)*lda:(ir+i)*lda+kc])
				} else {
					clear(row)
				}
			}
			for j := 0; j < nr; j++ {
				row := ws.eb[j*kc : j*kc+kc]
				if jr+j < n {
					copy(row, b[(jr+j)*ldb:(jr+j)*ldb+kc])
				} else {
					clear(row)
				}
			}
			kernelNT(ws.ea[:], kc, ws.eb[:], kc, alpha, 0, ws.tile[:], nr)
			clip(ws, min(mr, m-ir), min(nr, n-jr), beta, c[ir*ldc+jr:], ldc)
		}
	}
}

// clip stores the top-left rows×cols of ws.tile into C: c = beta*c + tile.
func clip(ws *workspace, rows, cols int, beta float32, c []float32, ldc int) {
	for i := 0; i < rows; i++ {
		dst := c[i*ldc : i*ldc+cols]
		src := ws.tile[i*nr : i*nr+cols]
		for j, v := range src {
			switch beta {
			case 0:
				dst[j] = v
			case 1:
				dst[j] += v
			default:
				dst[j] = beta*dst[j] + v
			}
		}
	}
}

// packed is the product through packed panels, for any transposes.
// Loop order is the usual one for packed GEMM: a kc×nc panel of B is packed
// once and reused by every mc×kc block of A, and within a block one A
// micro-panel stays in L1 while the B micro-panels pass under it.
func packed(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			kcU := (kb + kUnroll - 1) / kUnroll
			if tB {
				packBT(ws.b, b[jc*ldb+pc:], ldb, kb, nb)
			} else {
				packBN(ws.b, b[pc*ldb+jc:], ldb, kb, nb)
			}
			// Only the first k block applies beta; the rest accumulate.
			bt := beta
			if pc > 0 {
				bt = 1
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				if tA {
					packAT(ws.a, a[pc*lda+ic:], lda, kb, mb, alpha)
				} else {
					packAN(ws.a, a[ic*lda+pc:], lda, kb, mb, alpha)
				}
				macro(ws, kcU, mb, nb, bt, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// macro runs the micro-kernel over one packed mb×nb block of C.
//
// It walks C a row of tiles at a time: the A micro-panel stays in L1 and
// the B panels stream from L2, while the mr rows of C being written stay in
// cache. Walking down a column of tiles instead would touch mb rows of C
// at once, and with a power-of-two ldc (NHW) those all share one cache set.
func macro(ws *workspace, kcU, mb, nb int, beta float32, c []float32, ldc int) {
	for ir, ip := 0, 0; ir < mb; ir, ip = ir+mr, ip+1 {
		ap := (*aPanel)(ws.a[ip*kcU:])
		for jr, jp := 0, 0; jr < nb; jr, jp = jr+nr, jp+1 {
			bp := (*bPanel)(ws.b[jp*kcU:])
			if ir+mr <= mb && jr+nr <= nb {
				kernel(kcU, ap, bp, beta, c[ir*ldc+jr:], ldc)
				continue
			}
			// Edge tile: compute it whole, then store the part inside C.
			kernel(kcU, ap, bp, 0, ws.tile[:], nr)
			clip(ws, min(mr, mb-ir), min(nr, nb-jr), beta, c[ir*ldc+jr:], ldc)
		}
	}
}

// The packers fill a whole panel row (kUnroll steps of k) per loop
// iteration through fixed-size array views, so that there is no bounds
// check per element and, on wasm, little loop overhead per element; their
// hot loops (packKA, packKB, packGroupBN) are generated with the kernel.
// packAT spells out the kUnroll steps; this fails to compile if kUnroll is
// changed without it.
const _ uint = (kUnroll - 4) + (4 - kUnroll)

// packAN packs alpha*A for an untransposed A, a starting at the block's
// top-left element, into mr-row micro-panels: kb steps of k and mb rows,
// zero-padded to whole panels and panel rows.
func packAN(dst []aRow, a []float32, lda, kb, mb int, alpha float32) {
	kcU, full := (kb+kUnroll-1)/kUnroll, kb/kUnroll
	for i0, p := 0, 0; i0 < mb; i0, p = i0+mr, p+kcU {
		rows := dst[p : p+kcU]
		r0 := 0
		if i0+mr <= mb {
			packKA(rows[:full], a[i0*lda:], lda, alpha)
			r0 = full
		}
		for r := r0; r < kcU; r++ {
			for u := 0; u < kUnroll; u++ {
				l := r*kUnroll + u
				for i := 0; i < mr; i++ {
					var v float32
					if l < kb && i0+i < mb {
						v = alpha * a[(i0+i)*lda+l]
					}
					rows[r][u*mr+i] = v
				}
			}
		}
	}
}

// packAT is packAN for a transposed A, a starting at element (pc, ic) of
// the stored k×m matrix: each step of k is a contiguous run of mr rows.
func packAT(dst []aRow, a []float32, lda, kb, mb int, alpha float32) {
	kcU, full := (kb+kUnroll-1)/kUnroll, kb/kUnroll
	for i0, p := 0, 0; i0 < mb; i0, p = i0+mr, p+kcU {
		rows := dst[p : p+kcU]
		r0 := 0
		if i0+mr <= mb {
			for ; r0 < full; r0++ {
				d, o := &rows[r0], r0*kUnroll*lda+i0
				x0 := (*[mr]float32)(a[o:])
				x1 := (*[mr]float32)(a[o+lda:])
				x2 := (*[mr]float32)(a[o+2*lda:])
				x3 := (*[mr]float32)(a[o+3*lda:])
				for i := 0; i < mr; i++ {
					d[i], d[mr+i], d[2*mr+i], d[3*mr+i] = alpha*x0[i], alpha*x1[i], alpha*x2[i], alpha*x3[i]
				}
			}
		}
		packSlowT(rows[r0:], r0, a[i0:], lda, kb, mb-i0, alpha)
	}
}

// packBN packs an untransposed B, b starting at the block's top-left
// element, into nr-column micro-panels: kb steps of k and nb columns,
// zero-padded.
//
// B is read in strips of bGroup columns, each strip top to bottom, so that
// every cache line of B is used in full as soon as it arrives. Going panel
// by panel would read each line once per panel, and with a power-of-two
// ldb (NHW) the lines of a column all fall in one cache set and are
// evicted before the next panel needs them; that was 5x slower.
func packBN(dst []bRow, b []float32, ldb, kb, nb int) {
	kcU, full := (kb+kUnroll-1)/kUnroll, kb/kUnroll
	j0 := 0
	for ; j0+bGroup <= nb; j0 += bGroup {
		p := j0 / nr * kcU
		for r := 0; r < full; r++ {
			packGroupBN(dst, p+r, kcU, b, r*kUnroll*ldb+j0, ldb)
		}
		if full < kcU {
			for q := 0; q < bGroup/nr; q++ {
				packSlowN(dst[p+q*kcU+full:p+q*kcU+kcU], full, b[j0+q*nr:], ldb, kb, nr)
			}
		}
	}
	for ; j0 < nb; j0 += nr {
		p := j0 / nr * kcU
		packSlowN(dst[p:p+kcU], 0, b[j0:], ldb, kb, nb-j0)
	}
}

// bGroup is the strip width of packBN: a 64-byte cache line, rounded up to
// whole panels.
const bGroup = (16 + nr - 1) / nr * nr

// packBT is packBN for a transposed B, b starting at element (jc, pc) of
// the stored n×k matrix: each column of op(B) is contiguous.
func packBT(dst []bRow, b []float32, ldb, kb, nb int) {
	kcU, full := (kb+kUnroll-1)/kUnroll, kb/kUnroll
	for j0, p := 0, 0; j0 < nb; j0, p = j0+nr, p+kcU {
		rows := dst[p : p+kcU]
		r0 := 0
		if j0+nr <= nb {
			packKB(rows[:full], b[j0*ldb:], ldb)
			r0 = full
		}
		for r := r0; r < kcU; r++ {
			for u := 0; u < kUnroll; u++ {
				l := r*kUnroll + u
				for j := 0; j < nr; j++ {
					var v float32
					if l < kb && j0+j < nb {
						v = b[(j0+j)*ldb+l]
					}
					rows[r][u*nr+j] = v
				}
			}
		}
	}
}

// packSlowT packs the rows of a transposed-A panel from panel row r0 on,
// element by element: the rows past the last whole kUnroll steps of k, or
// a whole panel with w < mr valid rows of op(A).
func packSlowT(rows []aRow, r0 int, a []float32, lda, kb, w int, alpha float32) {
	for r := range rows {
		for u := 0; u < kUnroll; u++ {
			l := (r0+r)*kUnroll + u
			for i := 0; i < mr; i++ {
				var v float32
				if l < kb && i < w {
					v = alpha * a[l*lda+i]
				}
				rows[r][u*mr+i] = v
			}
		}
	}
}

// packSlowN is packSlowT for an untransposed B panel with w valid columns.
func packSlowN(rows []bRow, r0 int, b []float32, ldb, kb, w int) {
	for r := range rows {
		for u := 0; u < kUnroll; u++ {
			l := (r0+r)*kUnroll + u
			for j := 0; j < nr; j++ {
				var v float32
				if l < kb && j < w {
					v = b[l*ldb+j]
				}
				rows[r][u*nr+j] = v
			}
		}
	}
}
