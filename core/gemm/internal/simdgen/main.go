// Command simdgen writes core/gemm's WebAssembly kernel module, a
// single-precision GEMM with 128-bit SIMD instructions (simd128), as a
// binary directly, so that building it needs no wasm toolchain:
//
//	go run ./internal/simdgen -out simd.wasm   (from core/gemm; go generate does this)
//
// The module imports the Go program's linear memory as env.mem and
// exports sgemm, im2col and col2im (conv.go), called from Go through
// //go:wasmimport (see core/gemm/simd_js.go). It computes C = alpha*op(A)*op(B) + beta*C with
// the same order of floating-point operations as the pure-Go kernel of
// core/gemm, so its results are bit-identical: for every kc-block of k,
// the products (alpha*a)*b are summed one step of k after another from
// zero, and the block's sum s is stored as s (beta == 0), c+s (beta == 1)
// or beta*c+s, later blocks as c+s. No fused multiply-add (it would round
// differently, and relaxed-simd is not in every browser).
//
// Layout: B is packed a kc×nc block at a time into panels of 8 columns
// (one 32-byte row per step of k), which keeps the micro-kernel's loads
// sequential whatever B's transpose and leading dimension; A is read in
// place, one float splatted over a vector per row. The micro-kernel keeps
// a 4×8 tile of C in eight v128 accumulators (4×16 and 8×8 tiles spill).
package main

import (
	"flag"
	"log"
	"os"
)

// Blocking. kc must equal core/gemm's kc: the block boundaries of k fix
// the order of additions. mr×nr is the micro-tile.
const (
	kc = 256
	nc = 256 // columns of B packed at a time: kc×nc floats is 256 KiB
	mr = 4
	nr = 8
	// Scratch is the number of float32s the caller provides: the packed B
	// block and one micro-tile for edges. core/gemm's simdScratch must
	// equal it (the kernel traps when handed less).
	Scratch = kc*nc + mr*nr
)

func main() {
	out := flag.String("out", "simd.wasm", "file to write")
	flag.Parse()
	if err := os.WriteFile(*out, Module(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// Module returns the kernel module's bytes. It is deterministic.
func Module() []byte {
	var m module
	edge := m.add(packEdge())
	packNN := m.add(packN(edge))
	packNT := m.add(packT(edge))
	var micros [2][2][mr + 1]int // [tA][alpha == 1][rows]
	for ta := 0; ta < 2; ta++ {
		for a1 := 0; a1 < 2; a1++ {
			for r := 1; r <= mr; r++ {
				micros[ta][a1][r] = m.add(micro(ta == 1, a1 == 1, r))
			}
		}
	}
	m.add(sgemm(packNN, packNT, micros))
	h := convHelpers{copy: m.add(vcopy()), zero: m.add(vzero()), add: m.add(vadd())}
	im := convFn("im2col", false, h)
	im.export = true
	m.add(im)
	col := convFn("col2im", true, h)
	col.export = true
	m.add(col)
	m.fns[h.add].export = true // vadd(dst, src, n): dst += src
	for _, f := range []*fn{relu(), mask(), affine("addc"), affine("norm"), bngrad(), sum64(false), sum64(true), dot64()} {
		m.add(f)
	}
	m.add(pool3back(h.zero, m.add(axpy()), m.add(vmul()), m.add(add3())))
	for _, back := range []bool{false, true} {
		f := convStrided(map[bool]string{false: "im2cols", true: "col2ims"}[back], back, h.zero)
		f.export = true
		m.add(f)
	}
	return m.encode()
}

// sgemm(tA, tB, m, n, k i32, alpha f32, a, lda, b, ldb i32, beta f32,
// c, ldc, ws, wsLen i32) for m, n, k > 0; addresses in bytes, leading
// dimensions and wsLen in floats.
func sgemm(packNN, packNT int, micros [2][2][mr + 1]int) *fn {
	f := newFn("sgemm", i32, i32, i32, i32, i32, f32, i32, i32, i32, i32, f32, i32, i32, i32, i32)
	f.export = true
	tA, tB, M, N, K, alpha := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5)
	a, lda, b, ldb, beta, c, ldc, ws, wsLen := f.param(6), f.param(7), f.param(8), f.param(9), f.param(10), f.param(11), f.param(12), f.param(13), f.param(14)
	jc, nb, pc, kb, ir, rows, jr, cols := f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)
	ldaB, ldbB, ldcB, tile, ap, bp, cp, a1 := f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)
	bt := f.local(f32)

	// Too little scratch is a bug in the caller: trap rather than write
	// past it.
	f.get(wsLen)
	f.i32c(Scratch)
	f.op(opI32LtS)
	f.ifThen()
	f.op(0x00) // unreachable
	f.end()

	shl2 := func(x local, dst local) { f.get(x); f.i32c(2); f.op(opI32Shl); f.set(dst) }
	shl2(lda, ldaB)
	shl2(ldb, ldbB)
	shl2(ldc, ldcB)
	f.get(ws)
	f.i32c(kc * nc * 4)
	f.op(opI32Add)
	f.set(tile)
	f.get(alpha)
	f.f32c(1)
	f.op(opF32Eq)
	f.set(a1)
	// min(limit, x - y) into dst
	minRest := func(dst local, limit int32, x, y local) {
		f.i32c(limit)
		f.get(x)
		f.get(y)
		f.op(opI32Sub)
		f.i32c(limit)
		f.get(x)
		f.get(y)
		f.op(opI32Sub)
		f.op(opI32LtS)
		f.op(opSelect)
		f.set(dst)
	}
	// addr pushes base + (r*ld + col)*4.
	addr := func(base, r, ld, col local) {
		f.get(base)
		f.get(r)
		f.get(ld)
		f.op(opI32Mul)
		f.get(col)
		f.op(opI32Add)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
	}
	zero := func() { f.i32c(0) }
	f.forUp(jc, zero, func() { f.get(N) }, nc, func() {
		minRest(nb, nc, N, jc)
		f.forUp(pc, zero, func() { f.get(K) }, kc, func() {
			minRest(kb, kc, K, pc)
			// Only the first block of k applies beta.
			f.get(beta)
			f.f32c(1)
			f.get(pc)
			f.op(opI32Eqz)
			f.op(opSelect)
			f.set(bt)
			f.get(tB)
			f.ifThen()
			addr(b, jc, ldb, pc)
			f.get(ldbB)
			f.get(kb)
			f.get(nb)
			f.get(ws)
			f.call(packNT)
			f.orElse()
			addr(b, pc, ldb, jc)
			f.get(ldbB)
			f.get(kb)
			f.get(nb)
			f.get(ws)
			f.call(packNN)
			f.end()
			f.forUp(ir, zero, func() { f.get(M) }, mr, func() {
				minRest(rows, mr, M, ir)
				f.get(tA)
				f.ifThen()
				addr(a, pc, lda, ir)
				f.set(ap)
				f.orElse()
				addr(a, ir, lda, pc)
				f.set(ap)
				f.end()
				f.forUp(jr, zero, func() { f.get(nb) }, nr, func() {
					minRest(cols, nr, nb, jr)
					// panel jr/nr starts at ws + (jr/nr)*kb*nr*4 = ws + jr*kb*4
					f.get(ws)
					f.get(jr)
					f.get(kb)
					f.op(opI32Mul)
					f.i32c(2)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.set(bp)
					f.get(jc)
					f.get(jr)
					f.op(opI32Add)
					f.set(cp) // column of C, for addr
					addr(c, ir, ldc, cp)
					f.set(cp)
					args := func() {
						f.get(ap)
						f.get(ldaB)
						f.get(bp)
						f.get(kb)
						f.get(cp)
						f.get(ldcB)
						f.get(cols)
						f.get(alpha)
						f.get(bt)
						f.get(tile)
					}
					// Dispatch on tA, alpha == 1 and the rows of this tile.
					for ta := 0; ta < 2; ta++ {
						if ta == 0 {
							f.get(tA)
							f.op(opI32Eqz)
							f.ifThen()
						} else {
							f.orElse()
						}
						for al := 0; al < 2; al++ {
							if al == 0 {
								f.get(a1)
								f.op(opI32Eqz)
								f.ifThen()
							} else {
								f.orElse()
							}
							for r := mr; r >= 1; r-- {
								if r > 1 {
									f.get(rows)
									f.i32c(int32(r))
									f.op(opI32Eq)
									f.ifThen()
								}
								args()
								f.call(micros[ta][al][r])
								if r > 1 {
									f.orElse()
								}
							}
							for r := mr; r > 1; r-- {
								f.end()
							}
						}
						f.end()
					}
					f.end()
				})
			})
		})
	})
	return f
}

// micro(a, ldaB, bp, kb, c, ldcB, cols i32, alpha, beta f32, tile i32)
// adds rows×8 of C: c = beta*c + sum over kb steps of (alpha*a)*b, where
// beta == 0 overwrites c, for kb > 0 and cols (≤ 8) valid columns. a is
// op(A)'s element at the tile's first row and step of k; bp its packed
// B panel.
func micro(tA, alphaOne bool, rows int) *fn {
	f := newFn("micro", i32, i32, i32, i32, i32, i32, i32, f32, f32, i32)
	a, ldaB, bp, kb, c, ldcB, cols, alpha, beta, tile := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6), f.param(7), f.param(8), f.param(9)
	var acc [mr][2]local
	for i := 0; i < rows; i++ {
		acc[i][0], acc[i][1] = f.local(v128), f.local(v128)
	}
	b0, b1, av, alphaV, betaV := f.local(v128), f.local(v128), f.local(v128), f.local(v128), f.local(v128)
	var roff [mr]local // byte offsets of the rows of an untransposed A
	for i := 1; i < rows && !tA; i++ {
		roff[i] = f.local(i32)
		f.get(ldaB)
		f.i32c(int32(i))
		f.op(opI32Mul)
		f.set(roff[i])
	}
	if !alphaOne {
		f.get(alpha)
		f.simd(simdF32x4Splat)
		f.set(alphaV)
	}
	// Accumulators start at zero (locals are zero-initialised).
	f.doWhile(kb, func() {
		f.get(bp)
		f.v128load(0)
		f.set(b0)
		f.get(bp)
		f.v128load(16)
		f.set(b1)
		for i := 0; i < rows; i++ {
			f.get(a)
			if tA {
				f.loadSplat(uint32(4 * i)) // op(A)'s rows are adjacent floats
			} else {
				if i > 0 {
					f.get(roff[i])
					f.op(opI32Add)
				}
				f.loadSplat(0)
			}
			if !alphaOne {
				f.get(alphaV)
				f.simd(simdF32x4Mul)
			}
			f.set(av)
			for h, bv := range []local{b0, b1} {
				f.get(acc[i][h])
				f.get(av)
				f.get(bv)
				f.simd(simdF32x4Mul)
				f.simd(simdF32x4Add)
				f.set(acc[i][h])
			}
		}
		if tA {
			f.addL(a, ldaB)
		} else {
			f.addI(a, 4)
		}
		f.addI(bp, nr*4)
	})

	f.get(beta)
	f.simd(simdF32x4Splat)
	f.set(betaV)
	f.get(cols)
	f.i32c(nr)
	f.op(opI32Eq)
	f.ifThen()
	{
		// A whole tile: vector stores, one variant per kind of beta.
		store := func(mode int) { // 0: beta == 0, 1: beta == 1, 2: any
			p := c
			for i := 0; i < rows; i++ {
				if i > 0 {
					f.addL(p, ldcB)
				}
				for h := 0; h < 2; h++ {
					f.get(p)
					switch mode {
					case 0:
						f.get(acc[i][h])
					case 1:
						f.get(p)
						f.v128load(uint32(16 * h))
						f.get(acc[i][h])
						f.simd(simdF32x4Add)
					case 2:
						f.get(p)
						f.v128load(uint32(16 * h))
						f.get(betaV)
						f.simd(simdF32x4Mul)
						f.get(acc[i][h])
						f.simd(simdF32x4Add)
					}
					f.v128store(uint32(16 * h))
				}
			}
		}
		f.get(beta)
		f.f32c(0)
		f.op(opF32Eq)
		f.ifThen()
		store(0)
		f.orElse()
		f.get(beta)
		f.f32c(1)
		f.op(opF32Eq)
		f.ifThen()
		store(1)
		f.orElse()
		store(2)
		f.end()
		f.end()
	}
	f.orElse()
	{
		// An edge tile: spill it to the scratch tile, then store the
		// valid columns one by one.
		for i := 0; i < rows; i++ {
			for h := 0; h < 2; h++ {
				f.get(tile)
				f.get(acc[i][h])
				f.v128store(uint32(32*i + 16*h))
			}
		}
		j, t, tv := f.local(i32), f.local(i32), f.local(f32)
		for i := 0; i < rows; i++ {
			if i > 0 {
				f.addL(c, ldcB)
			}
			f.forUp(j, func() { f.i32c(0) }, func() { f.get(cols) }, 1, func() {
				f.get(tile)
				f.get(j)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.f32load(uint32(32 * i))
				f.set(tv)
				f.get(c)
				f.get(j)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.tee(t)
				// beta == 0 ? tile : beta*c + tile (select reads c either
				// way but drops it, so a NaN there does not propagate).
				f.get(tv)
				f.get(beta)
				f.get(t)
				f.f32load(0)
				f.op(opF32Mul)
				f.get(tv)
				f.op(opF32Add)
				f.get(beta)
				f.f32c(0)
				f.op(opF32Eq)
				f.op(opSelect)
				f.f32store(0)
			})
		}
	}
	f.end()
	return f
}

// packEdge(s, sl, sj, n, w, d) packs n steps of k of a panel with w < 8
// valid columns (or the last steps of a full one) element by element:
// element (l, j) of op(B) is at s + l*sl + j*sj, and row l of the panel at
// d + 32*l; columns w.. are zeroed.
func packEdge() *fn {
	f := newFn("packEdge", i32, i32, i32, i32, i32, i32)
	s, sl, sj, n, w, d := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5)
	l, j, dst := f.local(i32), f.local(i32), f.local(i32)
	f.forUp(l, func() { f.i32c(0) }, func() { f.get(n) }, 1, func() {
		f.forUp(j, func() { f.i32c(0) }, func() { f.i32c(nr) }, 1, func() {
			f.get(d)
			f.get(l)
			f.i32c(nr)
			f.op(opI32Mul)
			f.get(j)
			f.op(opI32Add)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(dst)
			f.get(j)
			f.get(w)
			f.op(opI32LtS)
			f.ifThen()
			f.get(dst)
			f.get(s)
			f.get(l)
			f.get(sl)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.get(j)
			f.get(sj)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.f32load(0)
			f.f32store(0)
			f.orElse()
			f.get(dst)
			f.f32c(0)
			f.f32store(0)
			f.end()
		})
	})
	return f
}

// packN(s, ldbB, kb, nb, d) packs an untransposed kb×nb block of B (row l
// at s + l*ldbB) into 8-column panels at d, panel p at d + p*kb*32. Rows
// are read 16 columns (a 64-byte cache line's worth) at a time, as in
// core/gemm's packBN: with a power-of-two ldb, reading one 8-column panel
// at a time loses each line before the next panel uses it.
func packN(edge int) *fn {
	f := newFn("packN", i32, i32, i32, i32, i32)
	s, ldbB, kb, nb, d := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4)
	j0, l, sp, dp, dq := f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)
	start := func() { // sp, dp for column j0; l = kb
		f.get(s)
		f.get(j0)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(sp)
		f.get(d)
		f.get(j0)
		f.get(kb)
		f.op(opI32Mul)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(dp)
		f.get(kb)
		f.set(l)
	}
	copyV := func(dst local, doff, soff uint32) {
		f.get(dst)
		f.get(sp)
		f.v128load(soff)
		f.v128store(doff)
	}
	f.forUp(j0, func() { f.i32c(0) }, func() { f.get(nb); f.i32c(15); f.op(opI32Sub) }, 2*nr, func() {
		start()
		f.get(dp)
		f.get(kb)
		f.i32c(nr * 4)
		f.op(opI32Mul)
		f.op(opI32Add)
		f.set(dq)
		f.doWhile(l, func() {
			copyV(dp, 0, 0)
			copyV(dp, 16, 16)
			copyV(dq, 0, 32)
			copyV(dq, 16, 48)
			f.addL(sp, ldbB)
			f.addI(dp, nr*4)
			f.addI(dq, nr*4)
		})
	})
	// j0 is now the first column not packed: one more whole panel?
	f.get(j0)
	f.i32c(nr)
	f.op(opI32Add)
	f.get(nb)
	f.op(opI32LeS)
	f.ifThen()
	start()
	f.doWhile(l, func() {
		copyV(dp, 0, 0)
		copyV(dp, 16, 16)
		f.addL(sp, ldbB)
		f.addI(dp, nr*4)
	})
	f.addI(j0, nr)
	f.end()
	f.get(j0)
	f.get(nb)
	f.op(opI32LtS)
	f.ifThen()
	start()
	f.get(sp)
	f.get(ldbB)
	f.i32c(4)
	f.get(kb)
	f.get(nb)
	f.get(j0)
	f.op(opI32Sub)
	f.get(dp)
	f.call(edge)
	f.end()
	return f
}

// packT(s, ldbB, kb, nb, d) is packN for a transposed B: column j of
// op(B) is row j of the stored matrix, at s + j*ldbB, contiguous along k.
// Whole 4×4 blocks are transposed in registers with shuffles.
func packT(edge int) *fn {
	f := newFn("packT", i32, i32, i32, i32, i32)
	s, ldbB, kb, nb, d := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4)
	j0, l, sp, dp := f.local(i32), f.local(i32), f.local(i32), f.local(i32)
	var off [nr]local
	for i := 1; i < nr; i++ {
		off[i] = f.local(i32)
		f.get(ldbB)
		f.i32c(int32(i))
		f.op(opI32Mul)
		f.set(off[i])
	}
	var r [nr]local
	for i := range r {
		r[i] = f.local(v128)
	}
	t := [4]local{f.local(v128), f.local(v128), f.local(v128), f.local(v128)}
	start := func() {
		f.get(s)
		f.get(j0)
		f.get(ldbB)
		f.op(opI32Mul)
		f.op(opI32Add)
		f.set(sp)
		f.get(d)
		f.get(j0)
		f.get(kb)
		f.op(opI32Mul)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(dp)
	}
	shuf := func(dst, x, y local, lanes [4]byte) {
		f.get(x)
		f.get(y)
		f.shuffle(lanes)
		f.set(dst)
	}
	// transpose4 stores the transpose of rows q..q+3 (columns of op(B))
	// into four panel rows at dp, at byte offset half within each row.
	transpose4 := func(q int, half uint32) {
		shuf(t[0], r[q], r[q+1], [4]byte{0, 4, 1, 5})
		shuf(t[1], r[q], r[q+1], [4]byte{2, 6, 3, 7})
		shuf(t[2], r[q+2], r[q+3], [4]byte{0, 4, 1, 5})
		shuf(t[3], r[q+2], r[q+3], [4]byte{2, 6, 3, 7})
		outs := [4][3]any{
			{t[0], t[2], [4]byte{0, 1, 4, 5}},
			{t[0], t[2], [4]byte{2, 3, 6, 7}},
			{t[1], t[3], [4]byte{0, 1, 4, 5}},
			{t[1], t[3], [4]byte{2, 3, 6, 7}},
		}
		for u, o := range outs {
			f.get(dp)
			f.get(o[0].(local))
			f.get(o[1].(local))
			f.shuffle(o[2].([4]byte))
			f.v128store(uint32(u)*nr*4 + half)
		}
	}
	f.forUp(j0, func() { f.i32c(0) }, func() { f.get(nb); f.i32c(nr - 1); f.op(opI32Sub) }, nr, func() {
		start()
		f.forUp(l, func() { f.i32c(0) }, func() { f.get(kb); f.i32c(3); f.op(opI32Sub) }, 4, func() {
			for i := 0; i < nr; i++ {
				f.get(sp)
				if i > 0 {
					f.get(off[i])
					f.op(opI32Add)
				}
				f.v128load(0)
				f.set(r[i])
			}
			transpose4(0, 0)
			transpose4(4, 16)
			f.addI(sp, 16)
			f.addI(dp, 4*nr*4)
		})
		// The last kb%4 steps of k.
		f.get(l)
		f.get(kb)
		f.op(opI32LtS)
		f.ifThen()
		f.get(sp)
		f.i32c(4)
		f.get(ldbB)
		f.get(kb)
		f.get(l)
		f.op(opI32Sub)
		f.i32c(nr)
		f.get(dp)
		f.call(edge)
		f.end()
	})
	f.get(j0)
	f.get(nb)
	f.op(opI32LtS)
	f.ifThen()
	start()
	f.get(sp)
	f.i32c(4)
	f.get(ldbB)
	f.get(kb)
	f.get(nb)
	f.get(j0)
	f.op(opI32Sub)
	f.get(dp)
	f.call(edge)
	f.end()
	return f
}
