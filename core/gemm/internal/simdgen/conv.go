package main

// The im2col and col2im of a stride-1 convolution whose output is as large
// as its input ("same"), one input channel per call: core/gemm's
// Im2colSame and Col2imSame (im2col.go) say what they compute; the pure-Go
// versions there are the reference the tests compare with, element for
// element. Both walk each shifted plane as one contiguous run plus a few
// edge elements per row, which in pure-Go wasm costs a call per tiny
// clear; here the runs move four floats per instruction.

// vcopy(dst, src, n) copies n floats; vzero(dst, n) zeroes them; vadd(dst,
// src, n) adds src into dst. Byte addresses, n ≥ 0.
func vcopy() *fn { return vloop("vcopy", false, true) }
func vzero() *fn { return vloop("vzero", false, false) }
func vadd() *fn  { return vloop("vadd", true, true) }

func vloop(name string, add, hasSrc bool) *fn {
	var f *fn
	if hasSrc {
		f = newFn(name, i32, i32, i32)
	} else {
		f = newFn(name, i32, i32)
	}
	dst, src, n := f.param(0), local(0), f.param(1)
	if hasSrc {
		src, n = f.param(1), f.param(2)
	}
	elem := func(vector bool) {
		f.get(dst)
		switch {
		case !hasSrc && vector:
			f.v128zero()
		case !hasSrc:
			f.f32c(0)
		case add && vector:
			f.get(dst)
			f.v128load(0)
			f.get(src)
			f.v128load(0)
			f.simd(simdF32x4Add)
		case add:
			f.get(dst)
			f.f32load(0)
			f.get(src)
			f.f32load(0)
			f.op(opF32Add)
		case vector:
			f.get(src)
			f.v128load(0)
		default:
			f.get(src)
			f.f32load(0)
		}
		if vector {
			f.v128store(0)
		} else {
			f.f32store(0)
		}
		w := int32(4)
		if vector {
			w = 16
		}
		f.addI(dst, w)
		if hasSrc {
			f.addI(src, w)
		}
		f.addI(n, -w/4)
	}
	for _, vector := range []bool{true, false} {
		least := int32(1)
		if vector {
			least = 4
		}
		f.block()
		f.loop()
		f.get(n)
		f.i32c(least)
		f.op(opI32LtS)
		f.brIf(1)
		elem(vector)
		f.br(0)
		f.end()
		f.end()
	}
	return f
}

// convHelpers are the function indices of vcopy, vzero, vadd.
type convHelpers struct{ copy, zero, add int }

// runGeom pushes nothing; it sets, for the shift (dy, dx) of one kernel
// tap, the rows [y0, y1) and columns [x0, x1) of the output that read
// inside the input, and the contiguous run [lo, hi) of the output plane
// (flat index) that reads the input plane from sa+(lo-a) on, where
// a = y0*W. empty is set when no output reads inside.
type runLocals struct{ dy, dx, y0, y1, x0, x1, a, sa, lo, hi, empty local }

func (f *fn) maxI(x, y func()) { // pushes max(x, y)
	x()
	y()
	x()
	y()
	f.op(opI32GtS)
	f.op(opSelect)
}

func (f *fn) minI(x, y func()) { // pushes min(x, y)
	x()
	y()
	x()
	y()
	f.op(opI32LtS)
	f.op(opSelect)
}

func (f *fn) geom(r runLocals, kh, kw, pad, H, W, hw local) {
	c := func(v int32) func() { return func() { f.i32c(v) } }
	neg := func(l local) func() { return func() { f.i32c(0); f.get(l); f.op(opI32Sub) } }
	sub := func(a, b local) func() { return func() { f.get(a); f.get(b); f.op(opI32Sub) } }
	f.get(kh)
	f.get(pad)
	f.op(opI32Sub)
	f.set(r.dy)
	f.get(kw)
	f.get(pad)
	f.op(opI32Sub)
	f.set(r.dx)
	f.maxI(c(0), neg(r.dy))
	f.set(r.y0)
	f.minI(func() { f.get(H) }, sub(H, r.dy))
	f.set(r.y1)
	f.maxI(c(0), neg(r.dx))
	f.set(r.x0)
	f.minI(func() { f.get(W) }, sub(W, r.dx))
	f.set(r.x1)
	// empty = y0 >= y1 || x0 >= x1
	f.get(r.y0)
	f.get(r.y1)
	f.op(opI32GeS)
	f.get(r.x0)
	f.get(r.x1)
	f.op(opI32GeS)
	f.op(0x72) // i32.or
	f.set(r.empty)
	// a = y0*W; hi = y1*W; sa = a + dy*W + dx; lo = a
	f.get(r.y0)
	f.get(W)
	f.op(opI32Mul)
	f.tee(r.a)
	f.set(r.lo)
	f.get(r.y1)
	f.get(W)
	f.op(opI32Mul)
	f.set(r.hi)
	f.get(r.a)
	f.get(r.dy)
	f.get(W)
	f.op(opI32Mul)
	f.op(opI32Add)
	f.get(r.dx)
	f.op(opI32Add)
	f.set(r.sa)
	// if sa < 0: lo = a - sa (only the first x0 entries fall before the plane)
	f.get(r.sa)
	f.i32c(0)
	f.op(opI32LtS)
	f.ifThen()
	f.get(r.a)
	f.get(r.sa)
	f.op(opI32Sub)
	f.set(r.lo)
	f.end()
	// e = sa + (hi - a); if e > hw: hi -= e - hw
	f.get(r.sa)
	f.get(r.hi)
	f.op(opI32Add)
	f.get(r.a)
	f.op(opI32Sub)
	f.get(hw)
	f.op(opI32Sub) // e - hw
	f.set(r.dx)    // dx is no longer needed: reuse it for e - hw
	f.get(r.dx)
	f.i32c(0)
	f.op(opI32GtS)
	f.ifThen()
	f.get(r.hi)
	f.get(r.dx)
	f.op(opI32Sub)
	f.set(r.hi)
	f.end()
}

// convFn builds im2col(col, src, N, H, W, K, pad) or
// col2im(acc, col, N, H, W, K, pad); byte addresses.
func convFn(name string, back bool, h convHelpers) *fn {
	f := newFn(name, i32, i32, i32, i32, i32, i32, i32)
	p0, p1, N, H, W, K, pad := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6)
	hw, p, kh, kw, n, y, row, out, plane := f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)
	r := runLocals{f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)}
	f.get(H)
	f.get(W)
	f.op(opI32Mul)
	f.set(hw)
	f.get(N)
	f.get(hw)
	f.op(opI32Mul)
	f.set(p)
	bytes := func(x func()) { x(); f.i32c(2); f.op(opI32Shl) }
	g := func(l local) func() { return func() { f.get(l) } }
	zeroI := func() { f.i32c(0) }
	// clearEdges zeroes columns [0, x0) and [x1, W) of rows [y0, y1) of the
	// plane at out.
	// The edges are pad floats wide or less: zeroed inline, a call per
	// edge cost more than the stores.
	e, e1 := f.local(i32), f.local(i32)
	zeroRun := func(from, to func()) { // zero floats [from, to) of the row at e1
		f.forUp(e, from, to, 1, func() {
			f.get(e1)
			bytes(g(e))
			f.op(opI32Add)
			f.f32c(0)
			f.f32store(0)
		})
	}
	clearEdges := func() {
		f.forUp(y, g(r.y0), g(r.y1), 1, func() {
			f.get(out)
			bytes(func() { f.get(y); f.get(W); f.op(opI32Mul) })
			f.op(opI32Add)
			f.set(e1)
			zeroRun(func() { f.i32c(0) }, g(r.x0))
			zeroRun(g(r.x1), g(W))
		})
	}
	f.forUp(kh, zeroI, g(K), 1, func() {
		f.forUp(kw, zeroI, g(K), 1, func() {
			f.geom(r, kh, kw, pad, H, W, hw)
			// row = colbase + (kh*K + kw)*p floats
			f.get(map[bool]local{false: p0, true: p1}[back])
			bytes(func() {
				f.get(kh)
				f.get(K)
				f.op(opI32Mul)
				f.get(kw)
				f.op(opI32Add)
				f.get(p)
				f.op(opI32Mul)
			})
			f.op(opI32Add)
			f.set(row)
			if back { // when no output reads inside, there is nothing to add
				f.get(r.empty)
				f.op(opI32Eqz)
				f.ifThen()
			}
			f.forUp(n, zeroI, g(N), 1, func() {
				// out: this image's plane of the row; plane: its input (or acc) plane
				f.get(row)
				bytes(func() { f.get(n); f.get(hw); f.op(opI32Mul) })
				f.op(opI32Add)
				f.set(out)
				f.get(map[bool]local{false: p1, true: p0}[back])
				bytes(func() { f.get(n); f.get(hw); f.op(opI32Mul) })
				f.op(opI32Add)
				f.set(plane)
				if !back {
					f.get(r.empty)
					f.ifThen()
					f.get(out)
					f.get(hw)
					f.call(h.zero)
					f.orElse()
					// copy the run, then zero what lies outside the input
					f.get(out)
					bytes(g(r.lo))
					f.op(opI32Add)
					f.get(plane)
					bytes(func() { f.get(r.sa); f.get(r.lo); f.op(opI32Add); f.get(r.a); f.op(opI32Sub) })
					f.op(opI32Add)
					f.get(r.hi)
					f.get(r.lo)
					f.op(opI32Sub)
					f.call(h.copy)
					f.get(out)
					f.get(r.lo)
					f.call(h.zero)
					f.get(out)
					bytes(g(r.hi))
					f.op(opI32Add)
					f.get(hw)
					f.get(r.hi)
					f.op(opI32Sub)
					f.call(h.zero)
					clearEdges()
					f.end()
					return
				}
				// col2im: zero the edge entries of the gradient row (it is
				// scratch), then add the run into the shifted plane.
				clearEdges()
				f.get(plane)
				bytes(func() { f.get(r.sa); f.get(r.lo); f.op(opI32Add); f.get(r.a); f.op(opI32Sub) })
				f.op(opI32Add)
				f.get(out)
				bytes(g(r.lo))
				f.op(opI32Add)
				f.get(r.hi)
				f.get(r.lo)
				f.op(opI32Sub)
				f.call(h.add)
			})
			if back {
				f.end()
			}
		})
	})
	return f
}
