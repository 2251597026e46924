package main

// The elementwise and reduction kernels of a training step (core/gemm's
// vec.go says what each computes; its pure-Go loops are the reference the
// tests compare with, bit for bit). Each runs four floats per instruction
// and then a scalar tail, in the pure-Go loop's order of operations: the
// float64 sums keep the same interleaved partial sums (two or four lanes,
// combined at the end as the Go code combines them), every operation is
// rounded as Go rounds it (no fused multiply-add), and the ReLU masks are
// integer comparisons of the bits, as in Go.

// f64 is the float64 value type.
const f64 byte = 0x7C

// More opcodes, beyond wasm.go's.
const (
	opI32Load        = 0x28
	opF64Load        = 0x2B
	opI32Store       = 0x36
	opF64Store       = 0x39
	opF32Sub         = 0x93
	opF64Add         = 0xA0
	opF64Sub         = 0xA1
	opF64Mul         = 0xA2
	opF64PromoteF32  = 0xBB
	opF32Div         = 0x95
	opF32ConvertI32S = 0xB2

	simdLoad64Zero   = 0x5D
	simdF64x2Splat   = 0x14
	simdF64x2Extract = 0x21
	simdI32x4GtS     = 0x3B
	simdV128And      = 0x4E
	simdF64x2Promote = 0x5F // f64x2.promote_low_f32x4
	simdF32x4Sub     = 0xE5
	simdF64x2Add     = 0xF0
	simdF64x2Sub     = 0xF1
	simdF64x2Mul     = 0xF2
)

func (f *fn) i32load(off uint32)  { f.op(opI32Load); f.memarg(2, off) }
func (f *fn) i32store(off uint32) { f.op(opI32Store); f.memarg(2, off) }
func (f *fn) f64store(off uint32) { f.op(opF64Store); f.memarg(3, off) }
func (f *fn) extract(lane byte)   { f.simd(simdF64x2Extract); f.op(lane) }

// stream runs vec while n >= 4 and then one while n >= 1, advancing every
// pointer in ptrs by the floats done and n by their count; between runs
// between the two loops (nil: nothing).
func (f *fn) stream(n local, ptrs []local, vec, between, one func()) {
	for _, vector := range []bool{true, false} {
		least, w := int32(1), int32(4)
		if vector {
			least, w = 4, 16
		}
		if !vector && between != nil {
			between()
		}
		f.block()
		f.loop()
		f.get(n)
		f.i32c(least)
		f.op(opI32LtS)
		f.brIf(1)
		if vector {
			vec()
		} else {
			one()
		}
		for _, p := range ptrs {
			f.addI(p, w)
		}
		f.addI(n, -w/4)
		f.br(0)
		f.end()
		f.end()
	}
}

// relu(x, n): x = x where its bits, as an int32, are > 0, else +0.
func relu() *fn {
	f := newFn("relu", i32, i32)
	f.export = true
	x, n := f.param(0), f.param(1)
	v, t := f.local(v128), f.local(i32)
	f.stream(n, []local{x}, func() {
		f.get(x)
		f.get(x)
		f.v128load(0)
		f.tee(v)
		f.get(v)
		f.v128zero()
		f.simd(simdI32x4GtS)
		f.simd(simdV128And)
		f.v128store(0)
	}, nil, func() {
		f.get(x)
		f.get(x)
		f.i32load(0)
		f.tee(t)
		f.i32c(0)
		f.get(t)
		f.i32c(0)
		f.op(opI32GtS)
		f.op(opSelect)
		f.i32store(0)
	})
	return f
}

// mask(x, m, n): x = x where m's bits, as an int32, are > 0, else +0.
func mask() *fn {
	f := newFn("mask", i32, i32, i32)
	f.export = true
	x, m, n := f.param(0), f.param(1), f.param(2)
	f.stream(n, []local{x, m}, func() {
		f.get(x)
		f.get(x)
		f.v128load(0)
		f.get(m)
		f.v128load(0)
		f.v128zero()
		f.simd(simdI32x4GtS)
		f.simd(simdV128And)
		f.v128store(0)
	}, nil, func() {
		f.get(x)
		f.get(x)
		f.i32load(0)
		f.i32c(0)
		f.get(m)
		f.i32load(0)
		f.i32c(0)
		f.op(opI32GtS)
		f.op(opSelect)
		f.i32store(0)
	})
	return f
}

// affine(x, n, a, b) is one of three maps of x in place, by kind:
// "addc" x = x + a; "norm" x = (x - a) * b.
func affine(kind string) *fn {
	f := newFn(kind, i32, i32, f32, f32)
	f.export = true
	x, n, a, b := f.param(0), f.param(1), f.param(2), f.param(3)
	av, bv := f.local(v128), f.local(v128)
	f.get(a)
	f.simd(simdF32x4Splat)
	f.set(av)
	f.get(b)
	f.simd(simdF32x4Splat)
	f.set(bv)
	f.stream(n, []local{x}, func() {
		f.get(x)
		f.get(x)
		f.v128load(0)
		f.get(av)
		if kind == "addc" {
			f.simd(simdF32x4Add)
		} else {
			f.simd(simdF32x4Sub)
			f.get(bv)
			f.simd(simdF32x4Mul)
		}
		f.v128store(0)
	}, nil, func() {
		f.get(x)
		f.get(x)
		f.f32load(0)
		f.get(a)
		if kind == "addc" {
			f.op(opF32Add)
		} else {
			f.op(opF32Sub)
			f.get(b)
			f.op(opF32Mul)
		}
		f.f32store(0)
	})
	return f
}

// bngrad(dx, dy, xh, n, is, mdy, mdyx): dx = is * ((dy - mdy) - xh*mdyx).
func bngrad() *fn {
	f := newFn("bngrad", i32, i32, i32, i32, f32, f32, f32)
	f.export = true
	dx, dy, xh, n, is, mdy, mdyx := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6)
	isv, mdyv, mdyxv := f.local(v128), f.local(v128), f.local(v128)
	for _, p := range [][2]local{{is, isv}, {mdy, mdyv}, {mdyx, mdyxv}} {
		f.get(p[0])
		f.simd(simdF32x4Splat)
		f.set(p[1])
	}
	f.stream(n, []local{dx, dy, xh}, func() {
		f.get(dx)
		f.get(isv)
		f.get(dy)
		f.v128load(0)
		f.get(mdyv)
		f.simd(simdF32x4Sub)
		f.get(xh)
		f.v128load(0)
		f.get(mdyxv)
		f.simd(simdF32x4Mul)
		f.simd(simdF32x4Sub)
		f.simd(simdF32x4Mul)
		f.v128store(0)
	}, nil, func() {
		f.get(dx)
		f.get(is)
		f.get(dy)
		f.f32load(0)
		f.get(mdy)
		f.op(opF32Sub)
		f.get(xh)
		f.f32load(0)
		f.get(mdyx)
		f.op(opF32Mul)
		f.op(opF32Sub)
		f.op(opF32Mul)
		f.f32store(0)
	})
	return f
}

// sum64(x, n) f64 is the float64 sum of x over four interleaved partial
// sums s0..s3 (element i into s[i%4], the tail into s0), returned as
// (s0 + s1) + (s2 + s3). With dev set it is sqdev64(x, n, m): the same
// over (x - m)².
func sum64(dev bool) *fn {
	name := "sum64"
	params := []byte{i32, i32}
	if dev {
		name = "sqdev64"
		params = append(params, f64)
	}
	f := newFn(name, params...)
	f.export = true
	f.result = []byte{f64}
	x, n := f.param(0), f.param(1)
	var m, mv local
	lo, hi, v, d := f.local(v128), f.local(v128), f.local(v128), f.local(v128)
	s0, t := f.local(f64), f.local(f64)
	if dev {
		m, mv = f.param(2), f.local(v128)
		f.get(m)
		f.simd(simdF64x2Splat)
		f.set(mv)
	}
	// term turns the f64x2 on the stack into the pair of terms it adds.
	term := func() {
		if !dev {
			return
		}
		f.get(mv)
		f.simd(simdF64x2Sub)
		f.tee(d)
		f.get(d)
		f.simd(simdF64x2Mul)
	}
	f.stream(n, []local{x}, func() {
		f.get(lo)
		f.get(x)
		f.v128load(0)
		f.tee(v)
		f.simd(simdF64x2Promote)
		term()
		f.simd(simdF64x2Add)
		f.set(lo)
		f.get(hi)
		f.get(v)
		f.get(v)
		f.shuffle([4]byte{2, 3, 2, 3})
		f.simd(simdF64x2Promote)
		term()
		f.simd(simdF64x2Add)
		f.set(hi)
	}, func() {
		f.get(lo)
		f.extract(0)
		f.set(s0)
	}, func() {
		f.get(s0)
		f.get(x)
		f.f32load(0)
		f.op(opF64PromoteF32)
		if dev {
			f.get(m)
			f.op(opF64Sub)
			f.tee(t)
			f.get(t)
			f.op(opF64Mul)
		}
		f.op(opF64Add)
		f.set(s0)
	})
	f.get(s0)
	f.get(lo)
	f.extract(1)
	f.op(opF64Add)
	f.get(hi)
	f.extract(0)
	f.get(hi)
	f.extract(1)
	f.op(opF64Add)
	f.op(opF64Add)
	return f
}

// dot64(x, y, n, out) stores at out the float64s sx = a0 + a1 and
// sxy = b0 + b1, where pairs of elements go into a0, a1 (x) and b0, b1
// (x·y) in turn and an odd last element into a0, b0.
func dot64() *fn {
	f := newFn("dot64", i32, i32, i32, i32)
	f.export = true
	x, y, n, out := f.param(0), f.param(1), f.param(2), f.param(3)
	a, b, vx, vy, p := f.local(v128), f.local(v128), f.local(v128), f.local(v128), f.local(v128)
	a0, b0, t := f.local(f64), f.local(f64), f.local(f64)
	// pair adds the promoted low pair of vx, vy into a and b.
	pair := func(shuf bool) {
		f.get(vx)
		if shuf {
			f.get(vx)
			f.shuffle([4]byte{2, 3, 2, 3})
		}
		f.simd(simdF64x2Promote)
		f.tee(p)
		f.get(a)
		f.simd(simdF64x2Add)
		f.set(a)
		f.get(b)
		f.get(p)
		f.get(vy)
		if shuf {
			f.get(vy)
			f.shuffle([4]byte{2, 3, 2, 3})
		}
		f.simd(simdF64x2Promote)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Add)
		f.set(b)
	}
	f.stream(n, []local{x, y}, func() {
		f.get(x)
		f.v128load(0)
		f.set(vx)
		f.get(y)
		f.v128load(0)
		f.set(vy)
		pair(false)
		pair(true)
	}, func() {
		// n < 4: one more pair?
		f.get(n)
		f.i32c(2)
		f.op(opI32GeS)
		f.ifThen()
		f.get(x)
		f.simd(simdLoad64Zero)
		f.memarg(2, 0)
		f.set(vx)
		f.get(y)
		f.simd(simdLoad64Zero)
		f.memarg(2, 0)
		f.set(vy)
		pair(false)
		f.addI(x, 8)
		f.addI(y, 8)
		f.addI(n, -2)
		f.end()
		f.get(a)
		f.extract(0)
		f.set(a0)
		f.get(b)
		f.extract(0)
		f.set(b0)
	}, func() {
		f.get(x)
		f.f32load(0)
		f.op(opF64PromoteF32)
		f.tee(t)
		f.get(a0)
		f.op(opF64Add)
		f.set(a0)
		f.get(t)
		f.get(y)
		f.f32load(0)
		f.op(opF64PromoteF32)
		f.op(opF64Mul)
		f.get(b0)
		f.op(opF64Add)
		f.set(b0)
	})
	f.get(out)
	f.get(a0)
	f.get(a)
	f.extract(1)
	f.op(opF64Add)
	f.f64store(0)
	f.get(out)
	f.get(b0)
	f.get(b)
	f.extract(1)
	f.op(opF64Add)
	f.f64store(8)
	return f
}

// axpy(dst, src, n, a): dst = dst + a*src. vmul(dst, src, n): dst = dst
// * src. add3(dst, cs, n): dst = dst + ((cs[i] + cs[i+1]) + cs[i+2]).
func axpy() *fn {
	f := newFn("axpy", i32, i32, i32, f32)
	dst, src, n, a := f.param(0), f.param(1), f.param(2), f.param(3)
	av := f.local(v128)
	f.get(a)
	f.simd(simdF32x4Splat)
	f.set(av)
	f.stream(n, []local{dst, src}, func() {
		f.get(dst)
		f.get(dst)
		f.v128load(0)
		f.get(av)
		f.get(src)
		f.v128load(0)
		f.simd(simdF32x4Mul)
		f.simd(simdF32x4Add)
		f.v128store(0)
	}, nil, func() {
		f.get(dst)
		f.get(dst)
		f.f32load(0)
		f.get(a)
		f.get(src)
		f.f32load(0)
		f.op(opF32Mul)
		f.op(opF32Add)
		f.f32store(0)
	})
	return f
}

func vmul() *fn {
	f := newFn("vmul", i32, i32, i32)
	dst, src, n := f.param(0), f.param(1), f.param(2)
	f.stream(n, []local{dst, src}, func() {
		f.get(dst)
		f.get(dst)
		f.v128load(0)
		f.get(src)
		f.v128load(0)
		f.simd(simdF32x4Mul)
		f.v128store(0)
	}, nil, func() {
		f.get(dst)
		f.get(dst)
		f.f32load(0)
		f.get(src)
		f.f32load(0)
		f.op(opF32Mul)
		f.f32store(0)
	})
	return f
}

func add3() *fn {
	f := newFn("add3", i32, i32, i32)
	dst, cs, n := f.param(0), f.param(1), f.param(2)
	f.stream(n, []local{dst, cs}, func() {
		f.get(dst)
		f.get(dst)
		f.v128load(0)
		f.get(cs)
		f.v128load(0)
		f.get(cs)
		f.v128load(4)
		f.simd(simdF32x4Add)
		f.get(cs)
		f.v128load(8)
		f.simd(simdF32x4Add)
		f.simd(simdF32x4Add)
		f.v128store(0)
	}, nil, func() {
		f.get(dst)
		f.get(dst)
		f.f32load(0)
		f.get(cs)
		f.f32load(0)
		f.get(cs)
		f.f32load(4)
		f.op(opF32Add)
		f.get(cs)
		f.f32load(8)
		f.op(opF32Add)
		f.op(opF32Add)
		f.f32store(0)
	})
	return f
}

// pool3back(ds, dd, planes, h, w, cs, inv) is core/gemm's
// AvgPool3Backward on planes h×w planes: for each row y of each plane,
// the column sums c (at cs+4; cs holds w+2 floats, zero at both ends) of
// the output-gradient rows around y, each scaled by 1/(its window's
// height), are scaled by inv (1/(window width) per column), and row y of
// ds gains the 3-wide sums of c.
func pool3back(zero, axpy, vmul, add3 int) *fn {
	f := newFn("pool3back", i32, i32, i32, i32, i32, i32, i32)
	f.export = true
	ds, dd, planes, h, w, cs, inv := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6)
	y, yy, y1, ry, c, rowB := f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)
	f.get(cs)
	f.i32c(4)
	f.op(opI32Add)
	f.set(c)
	f.get(w)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(rowB)
	f.doWhile(planes, func() {
		f.forUp(y, func() { f.i32c(0) }, func() { f.get(h) }, 1, func() {
			f.get(c)
			f.get(w)
			f.call(zero)
			// yy from max(y-1, 0) to y1 = min(y+1, h-1)
			f.minI(func() { f.get(y); f.i32c(1); f.op(opI32Add) }, func() { f.get(h); f.i32c(1); f.op(opI32Sub) })
			f.set(y1)
			f.forUp(yy, func() { f.maxI(func() { f.get(y); f.i32c(1); f.op(opI32Sub) }, func() { f.i32c(0) }) },
				func() { f.get(y1); f.i32c(1); f.op(opI32Add) }, 1, func() {
					// ry = min(yy+1, h-1) - max(yy-1, 0) + 1
					f.minI(func() { f.get(yy); f.i32c(1); f.op(opI32Add) }, func() { f.get(h); f.i32c(1); f.op(opI32Sub) })
					f.maxI(func() { f.get(yy); f.i32c(1); f.op(opI32Sub) }, func() { f.i32c(0) })
					f.op(opI32Sub)
					f.i32c(1)
					f.op(opI32Add)
					f.set(ry)
					f.get(c)
					f.get(dd)
					f.get(yy)
					f.get(rowB)
					f.op(opI32Mul)
					f.op(opI32Add)
					f.get(w)
					f.f32c(1)
					f.get(ry)
					f.op(opF32ConvertI32S)
					f.op(opF32Div)
					f.call(axpy)
				})
			f.get(c)
			f.get(inv)
			f.get(w)
			f.call(vmul)
			f.get(ds)
			f.get(y)
			f.get(rowB)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.get(cs)
			f.get(w)
			f.call(add3)
		})
		// next plane
		f.get(h)
		f.get(rowB)
		f.op(opI32Mul)
		f.tee(ry)
		f.get(ds)
		f.op(opI32Add)
		f.set(ds)
		f.get(dd)
		f.get(ry)
		f.op(opI32Add)
		f.set(dd)
	})
	return f
}
