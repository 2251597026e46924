package main

// The general (strided) im2col and col2im, one input channel per call:
// core/gemm's Im2col and Col2im (im2col.go) say what they compute, and
// their pure-Go versions are the reference the tests compare with element
// for element. Same loops as those: taps kh, kw, then image, output row,
// output column; an output row is zeroed when its input row falls outside
// the plane, else its edge columns are zeroed and the middle gathered (or,
// for col2im, added back in the same order). For stride 2 the gather moves
// four floats per instruction: two loads and a shuffle of the even lanes,
// while the eight floats read end inside the channel's planes.

const (
	opI32DivS = 0x6D
	opI32GeU  = 0x4F
	opI32GtU  = 0x4B
)

// convStrided builds im2cols(col, src, N, H, W, K, pad, stride, Ho, Wo) or
// col2ims(acc, col, N, H, W, K, pad, stride, Ho, Wo); byte addresses.
func convStrided(name string, back bool, zero int) *fn {
	f := newFn(name, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32)
	colBase, planeBase := f.param(0), f.param(1)
	if back {
		colBase, planeBase = f.param(1), f.param(0)
	}
	N, H, W, K, pad, stride, Ho, Wo := f.param(2), f.param(3), f.param(4), f.param(5), f.param(6), f.param(7), f.param(8), f.param(9)
	l := func() local { return f.local(i32) }
	hw4, howo4, p4, s4, end := l(), l(), l(), l(), l()
	kh, kw, shift, off, x0, x1, row, n, oy, iy, out, plane, d, s, cnt, e := l(), l(), l(), l(), l(), l(), l(), l(), l(), l(), l(), l(), l(), l(), l(), l()
	g := func(x local) func() { return func() { f.get(x) } }
	zeroI := func() { f.i32c(0) }
	mul := func(a, b local) { f.get(a); f.get(b); f.op(opI32Mul) }

	// hw4 = H*W*4; howo4 = Ho*Wo*4; p4 = N*howo4; s4 = stride*4
	mul(H, W)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(hw4)
	mul(Ho, Wo)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(howo4)
	mul(N, howo4)
	f.set(p4)
	f.get(stride)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(s4)
	// end = planeBase + N*hw4: the vector gather reads below it
	f.get(planeBase)
	mul(N, hw4)
	f.op(opI32Add)
	f.set(end)

	zeroRun := func(from, to func()) { // zero floats [from, to) of the row at out
		f.forUp(e, from, to, 1, func() {
			f.get(out)
			f.get(e)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.f32c(0)
			f.f32store(0)
		})
	}

	f.forUp(kh, zeroI, g(K), 1, func() {
		f.forUp(kw, zeroI, g(K), 1, func() {
			// shift = pad - kw; off = -shift
			f.get(pad)
			f.get(kw)
			f.op(opI32Sub)
			f.tee(shift)
			f.i32c(0)
			f.get(shift)
			f.op(opI32Sub)
			f.set(off)
			// x0 = shift > 0 ? (shift+stride-1)/stride : 0, then min(x0, Wo)
			f.get(shift)
			f.get(stride)
			f.op(opI32Add)
			f.i32c(1)
			f.op(opI32Sub)
			f.get(stride)
			f.op(opI32DivS)
			f.i32c(0)
			f.get(shift)
			f.i32c(0)
			f.op(opI32GtS)
			f.op(opSelect)
			f.set(x0)
			f.minI(g(x0), g(Wo))
			f.set(x0)
			// x1 = max(min(max((W+shift+stride-1)/stride, 0), Wo), x0)
			f.get(W)
			f.get(shift)
			f.op(opI32Add)
			f.get(stride)
			f.op(opI32Add)
			f.i32c(1)
			f.op(opI32Sub)
			f.get(stride)
			f.op(opI32DivS)
			f.set(x1)
			f.maxI(g(x1), zeroI)
			f.set(x1)
			f.minI(g(x1), g(Wo))
			f.set(x1)
			f.maxI(g(x1), g(x0))
			f.set(x1)
			// row = colBase + (kh*K + kw)*p4
			f.get(colBase)
			mul(kh, K)
			f.get(kw)
			f.op(opI32Add)
			f.get(p4)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.set(row)
			f.forUp(n, zeroI, g(N), 1, func() {
				f.get(planeBase)
				mul(n, hw4)
				f.op(opI32Add)
				f.set(plane)
				f.get(row)
				mul(n, howo4)
				f.op(opI32Add)
				f.set(out)
				f.forUp(oy, zeroI, g(Ho), 1, func() {
					// iy = oy*stride - pad + kh
					mul(oy, stride)
					f.get(pad)
					f.op(opI32Sub)
					f.get(kh)
					f.op(opI32Add)
					f.tee(iy)
					f.get(H)
					f.op(opI32GeU) // iy < 0 or iy >= H
					f.ifThen()
					if !back {
						f.get(out)
						f.get(Wo)
						f.call(zero)
					}
					f.orElse()
					// the input (or acc) address of column x0: plane + (iy*W + x0*stride + off)*4
					f.get(plane)
					mul(iy, W)
					mul(x0, stride)
					f.op(opI32Add)
					f.get(off)
					f.op(opI32Add)
					f.i32c(2)
					f.op(opI32Shl)
					f.op(opI32Add)
					in := s
					if back {
						in = d
					}
					f.set(in)
					f.get(out)
					f.get(x0)
					f.i32c(2)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.set(map[bool]local{false: d, true: s}[back])
					f.get(x1)
					f.get(x0)
					f.op(opI32Sub)
					f.set(cnt)
					if !back {
						zeroRun(zeroI, g(x0))
						// stride 2: four floats at a time while the eight read end below end
						f.get(stride)
						f.i32c(2)
						f.op(opI32Eq)
						f.ifThen()
						f.block()
						f.loop()
						f.get(cnt)
						f.i32c(4)
						f.op(opI32LtS)
						f.brIf(1)
						f.get(s)
						f.i32c(32)
						f.op(opI32Add)
						f.get(end)
						f.op(opI32GtU)
						f.brIf(1)
						f.get(d)
						f.get(s)
						f.v128load(0)
						f.get(s)
						f.v128load(16)
						f.shuffle([4]byte{0, 2, 4, 6})
						f.v128store(0)
						f.addI(d, 16)
						f.addI(s, 32)
						f.addI(cnt, -4)
						f.br(0)
						f.end()
						f.end()
						f.end()
					}
					// one float at a time
					f.block()
					f.loop()
					f.get(cnt)
					f.i32c(1)
					f.op(opI32LtS)
					f.brIf(1)
					f.get(d)
					if back {
						f.get(d)
						f.f32load(0)
						f.get(s)
						f.f32load(0)
						f.op(opF32Add)
						f.f32store(0)
						f.addL(d, s4)
						f.addI(s, 4)
					} else {
						f.get(s)
						f.f32load(0)
						f.f32store(0)
						f.addI(d, 4)
						f.addL(s, s4)
					}
					f.addI(cnt, -1)
					f.br(0)
					f.end()
					f.end()
					if !back {
						zeroRun(g(x1), g(Wo))
					}
					f.end()
					f.get(out)
					f.get(Wo)
					f.i32c(2)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.set(out)
				})
			})
		})
	})
	return f
}
