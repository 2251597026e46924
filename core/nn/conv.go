package nn

import "pada/core/gemm"

// Blocked convolution. A convolution that needs an im2col matrix is run
// over blocks of a few images at a time: each block's input planes are
// gathered (and rectified) into a small buffer, its im2col matrix is built
// from that, and the block's products are computed while all of it is
// still in the L2 cache. A whole-batch im2col matrix of an 8-channel 3x3
// layer on mini is 4.7 MB (nb201: 150 MB), so building it, packing it and
// scattering its gradient back all ran from memory, and took longer than
// the products themselves.
//
// The blocks are also the parallel decomposition: the images are split
// into one contiguous share per worker, each with its own scratch, so a
// convolution costs one hand-off to the workers instead of several split
// products and element passes. The weight gradient of each share after the
// first is summed in its own buffer and added at the end, in share order,
// so results depend on the thread count but not on scheduling.

// convBlockFloats is the size a block's im2col matrix aims at (in floats):
// 192 KiB, which with the block's input, output and packed panels stays in
// a 512 KiB-1 MiB L2. A block holds at least one image.
var convBlockFloats = 48 << 10

// blocked reports whether a convolution takes the blocked path: every one
// that cannot read its input in place as the im2col matrix.
func blocked(g ConvGeom) bool { return !direct(g) }

// convScratch is one worker's buffers for the blocked path, grown to the
// largest block seen and reused.
type convScratch struct {
	in  []float32 // the block's input planes [Cin, nb, H*W], rectified
	col []float32 // the block's im2col matrix, then its gradient
	din []float32 // the gradient for in, before the ReLU mask
	dw  []float32 // this share's weight gradient (shares after the first)

	// The layouts in and din were last zeroed for on the direct 3x3 path;
	// the im2col path overwrites them (zero values).
	inKey, dinKey padKey
}

func grow(buf *[]float32, n int) []float32 {
	if len(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// convTask runs a blocked convolution, forward or backward; index s of
// its For is worker share s.
type convTask struct {
	ws                []convScratch
	g                 ConvGeom
	back              bool
	direct3           bool      // on the direct 3x3 path (conv3.go)
	packed            []float32 // its packed kernels
	per, blk          int       // images per share, per block
	dst, src, w, bias []float32
	dsrc, dw, dy      []float32
}

// plan sets the share and block sizes and returns the number of shares.
func (t *convTask) plan(threads int) int {
	g := t.g
	shares := min(threads, g.N)
	t.per = (g.N + shares - 1) / shares
	if t.direct3 {
		t.blk = min(t.per, conv3Images(g))
	} else {
		perImage := g.Cin * g.K * g.K * g.OutH() * g.OutW()
		t.blk = max(1, min(t.per, convBlockFloats/perImage))
	}
	return (g.N + t.per - 1) / t.per
}

func (t *convTask) Do(lo, hi int) {
	for s := lo; s < hi; s++ {
		t.share(s)
	}
}

func (t *convTask) share(s int) {
	g := t.g
	sc := &t.ws[s]
	n0, n1 := s*t.per, min((s+1)*t.per, g.N)
	dw := t.dw
	if t.back && s > 0 {
		dw = grow(&sc.dw, g.WeightLen())
		clear(dw)
	}
	for b0 := n0; b0 < n1; b0 += t.blk {
		b1 := min(b0+t.blk, n1)
		switch {
		case t.direct3 && t.back:
			t.backward3(sc, dw, b0, b1)
			continue
		case t.direct3:
			t.forward3(sc, b0, b1)
			continue
		}
		in, col, sg := t.columns(sc, b0, b1)
		if t.back {
			t.backward(sc, dw, in, col, sg, b0, b1)
		} else {
			t.forward(col, sg, b0)
		}
	}
}

// columns gathers the input planes of images [b0, b1) into sc.in,
// rectified if the layer says so, and returns them, the block's im2col
// matrix (the gathered input itself for a 1x1 convolution) and the
// geometry of the block as a batch of its own, without the ReLU.
func (t *convTask) columns(sc *convScratch, b0, b1 int) (in, col []float32, sg ConvGeom) {
	g := t.g
	nb, hw := b1-b0, g.H*g.W
	in = grow(&sc.in, g.Cin*nb*hw)
	sc.inKey = padKey{}
	for ci := 0; ci < g.Cin; ci++ {
		copy(in[ci*nb*hw:(ci+1)*nb*hw], t.src[(ci*g.N+b0)*hw:(ci*g.N+b1)*hw])
	}
	if g.ReLU {
		reluInPlace(in)
	}
	sg = g
	sg.N, sg.ReLU = nb, false
	if direct(sg) {
		return in, in, sg
	}
	col = grow(&sc.col, sg.ColLen())
	ic := im2colTask{col: col, src: in, g: sg}
	ic.Do(0, g.Cin)
	return in, col, sg
}

func (t *convTask) forward(col []float32, sg ConvGeom, b0 int) {
	g := t.g
	howo := g.OutH() * g.OutW()
	p, pb, kk := g.N*howo, sg.N*howo, g.Cin*g.K*g.K
	dst := t.dst[b0*howo:]
	gemm.Sgemm(false, false, g.Cout, pb, kk, 1, t.w, kk, col, pb, 0, dst, p)
	if t.bias != nil {
		for co, bv := range t.bias[:g.Cout] {
			addConst(dst[co*p:co*p+pb], bv)
		}
	}
}

func (t *convTask) backward(sc *convScratch, dw, in, col []float32, sg ConvGeom, b0, b1 int) {
	g := t.g
	howo := g.OutH() * g.OutW()
	p, pb, kk := g.N*howo, sg.N*howo, g.Cin*g.K*g.K
	dy := t.dy[b0*howo:]
	gemm.Sgemm(false, true, g.Cout, kk, pb, 1, dy, p, col, pb, 1, dw, kk)
	if t.dsrc == nil {
		return
	}
	hw, nb := g.H*g.W, sg.N
	din := grow(&sc.din, g.Cin*nb*hw)
	sc.dinKey = padKey{}
	if direct(sg) {
		gemm.Sgemm(true, false, g.Cin, pb, g.Cout, 1, t.w, g.Cin, dy, p, 0, din, pb)
	} else {
		// The block's im2col matrix is no longer needed: it takes its
		// gradient, which col2im adds into din.
		gemm.Sgemm(true, false, kk, pb, g.Cout, 1, t.w, kk, dy, p, 0, col, pb)
		clear(din)
		ct := col2imTask{dsrc: din, col: col, src: in, g: sg}
		ct.Do(0, g.Cin)
	}
	if g.ReLU {
		maskBy(din, in) // in is the rectified input: positive where it was
	}
	for ci := 0; ci < g.Cin; ci++ {
		addTo(t.dsrc[(ci*g.N+b0)*hw:(ci*g.N+b1)*hw], din[ci*nb*hw:(ci+1)*nb*hw])
	}
}

// convBlocked runs a forward (back false) or backward convolution on the
// blocked path.
func (b *CPU) convBlocked(t *convTask) {
	g := t.g
	t.direct3 = conv3(g, t.back, t.dsrc != nil)
	if t.direct3 && (!t.back || t.dsrc != nil) {
		// The weight gradient does not read the kernels; the forward
		// product and the input gradient read them packed for their taps
		// (which depend on the layout only through offsets, not order).
		l := newPad3(g, 1)
		t.packed = grow(&b.packed, g.WeightLen())
		if !t.back {
			set := forwardTaps(g.Stride, l)
			packTaps(t.packed, t.w, g.Cout, g.Cin, false, &set)
		} else {
			sets, n := backwardTaps(g.Stride, l)
			p := t.packed
			for i := range sets[:n] {
				packTaps(p, t.w, g.Cout, g.Cin, true, &sets[i])
				p = p[g.Cin*g.Cout*sets[i].n:]
			}
		}
	}
	shares := t.plan(b.pool.Threads())
	for len(b.convWS) < shares {
		b.convWS = append(b.convWS, convScratch{})
	}
	t.ws = b.convWS
	b.pool.For(shares, 1, t)
	if t.back {
		n := t.g.WeightLen()
		for s := 1; s < shares; s++ {
			addTo(t.dw[:n], b.convWS[s].dw[:n])
		}
	}
	*t = convTask{} // drop references to the caller's slices
}

// The elementwise loops of the blocked path, each in its own function so
// that a target with vector kernels can replace them.

// reluInPlace sets x = relu(x), with the AVX-512 kernel where there is one
// (gemm.ReLU: the simd128 kernel in the browser).
func reluInPlace(x []float32) {
	i := 0
	if has512 && len(x) >= 16 {
		i = len(x) &^ 15
		reluPlanes(&x[0], i)
	}
	gemm.ReLU(x[i:])
}

// maskBy sets x = 0 where m <= 0, the gradient through a ReLU whose output
// was m, with the AVX-512 kernel where there is one (gemm.MaskPositive:
// the simd128 kernel in the browser).
func maskBy(x, m []float32) {
	m = m[:len(x)]
	i := 0
	if has512 && len(x) >= 16 {
		i = len(x) &^ 15
		maskPositive(&x[0], &m[0], i)
	}
	gemm.MaskPositive(x[i:], m[i:])
}

// addTo sets dst += src.
func addTo(dst, src []float32) { gemm.AddTo(dst, src) }

// addConst sets x += c.
func addConst(x []float32, c float32) { gemm.AddConst(x, c) }
