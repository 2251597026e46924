package nn

// Direct 3x3 convolution on AVX-512 (padding 1, stride 1, or stride 2 on
// even sizes; output channels a multiple of 8). A block's input planes are copied into
// zero-padded planes laid out so that every tap of every output pixel is
// the plane read at a fixed offset: rows are W+1 floats (the extra column
// is zero and is also the left neighbour of the next row's first pixel),
// one zero row separates the images of the block, and the plane starts
// with one zero row and one zero float. A convolution over the block is
// then a matrix product whose B operand is the padded plane read at nine
// offsets per input channel, with no im2col matrix and no packing
// (convTile8x32); outputs at the zero columns and rows are computed and
// dropped. The input gradient is the same product over the padded output
// gradient with the kernels flipped and transposed, and the weight
// gradient is a dot product of padded planes (wgradTile4x3).
//
// A stride-2 convolution first splits each input plane into its four
// phases (even or odd rows, even or odd columns), each the size of the
// output and padded the same way: every tap then reads one phase at a
// shift of 0 or -1, and the input gradient is four such products, one
// per phase, over the taps that read it.
//
// On mini (8 channels, 16x16) this replaces a 4.7 MB im2col matrix, its
// packing and its col2im by one padded copy of the block (13% larger than
// the input) that stays in L1/L2.

// useConv3 sends eligible convolutions to the direct path; tests turn it
// off to check the blocked im2col path on the same CPU (and
// PADA_NO_AVX512=1 turns has512 off, see gemm.HasAVX512).
var useConv3 = has512

// conv3Floats is about how many floats a block's padded planes (input,
// output gradient and output) may take.
var conv3Floats = 48 << 10

// conv3 reports whether a convolution runs on the direct path, forward or
// (back) backward with an input gradient (dsrc).
func conv3(g ConvGeom, back, dsrc bool) bool {
	if !useConv3 || g.K != 3 || g.Pad != 1 || g.Cout%8 != 0 {
		return false
	}
	if g.Stride != 1 && (g.Stride != 2 || g.H%2 != 0 || g.W%2 != 0) {
		return false
	}
	return !back || !dsrc || g.Cin%8 == 0
}

// tapSet is the taps one product of the direct path reads: tap k[t] =
// kh*3+kw of the kernel, read at byte offset off[t] from the output
// column in the padded planes.
type tapSet struct {
	n   int
	k   [9]int
	off [9]int
}

// phase returns the phase (0 or 1) a kernel row or column of a stride-2
// convolution reads and its shift within the phase.
func phase(k int) (p, shift int) {
	if k == 1 {
		return 0, 0
	}
	return 1, min(k-1, 0)
}

// forwardTaps are the taps of the forward product (and of the weight
// gradient) in layout l; a stride-2 input has four phase planes per
// channel, lc floats apart.
func forwardTaps(stride int, l pad3) tapSet {
	t := tapSet{n: 9}
	for kh := 0; kh < 3; kh++ {
		for kw := 0; kw < 3; kw++ {
			k := kh*3 + kw
			t.k[k] = k
			if stride == 1 {
				t.off[k] = 4 * ((kh-1)*l.wp + kw - 1)
				continue
			}
			a, dy := phase(kh)
			b, dx := phase(kw)
			t.off[k] = 4 * ((a*2+b)*l.lc + dy*l.wp + dx)
		}
	}
	return t
}

// backwardTaps are the taps of the input-gradient products, read from the
// padded output gradient: one set (stride 1) or one per input phase.
func backwardTaps(stride int, l pad3) (sets [4]tapSet, n int) {
	if stride == 1 {
		t := forwardTaps(1, l)
		for i := range t.off[:t.n] {
			t.off[i] = -t.off[i]
		}
		sets[0] = t
		return sets, 1
	}
	for kh := 0; kh < 3; kh++ {
		a, dy := phase(kh)
		for kw := 0; kw < 3; kw++ {
			b, dx := phase(kw)
			t := &sets[a*2+b]
			t.k[t.n] = kh*3 + kw
			t.off[t.n] = -4 * (dy*l.wp + dx)
			t.n++
		}
	}
	return sets, 4
}

// packTaps packs the kernels w [cout, cin, 3, 3] for convTile8x32 with the
// taps of set: for each group of 8 rows, for each channel the product
// sums over, 8 weights per tap. The rows are the output channels, or with
// rowsIn the input channels (an input gradient).
func packTaps(dst, w []float32, cout, cin int, rowsIn bool, set *tapSet) {
	rows, chans := cout, cin
	if rowsIn {
		rows, chans = cin, cout
	}
	i := 0
	for r0 := 0; r0 < rows; r0 += 8 {
		for ch := 0; ch < chans; ch++ {
			for _, k := range set.k[:set.n] {
				for r := r0; r < r0+8; r++ {
					co, ci := r, ch
					if rowsIn {
						co, ci = ch, r
					}
					dst[i] = w[(co*cin+ci)*9+k]
					i++
				}
			}
		}
	}
}

// pad3 is the padded layout of a block of nb images.
type pad3 struct {
	wp  int // floats per padded row, W+1
	o   int // offset of pixel (0, 0) of the first image
	lr  int // output columns computed, from o on: a multiple of 32
	lc  int // floats per padded plane, with room for every tap read
	row int // padded rows per image, H+1
}

// newPad3 lays out planes of the output's size (a stride-2 input's
// phases have that size too).
func newPad3(g ConvGeom, nb int) pad3 {
	ho, wo := g.OutH(), g.OutW()
	wp := wo + 1
	o := wp + 1
	lr := roundUp((nb*(ho+1)-1)*wp, 32)
	return pad3{wp: wp, o: o, lr: lr, lc: roundUp(o+lr+wp+1+32, 16), row: ho + 1}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// conv3Images is the block size of the direct path, in images.
func conv3Images(g ConvGeom) int {
	per := (g.Cin*g.Stride*g.Stride + 2*g.Cout) * (g.OutH() + 1) * (g.OutW() + 1)
	return max(1, conv3Floats/per)
}

// padKey names the layout a buffer of padded planes was last zeroed for:
// the padding of planes of the same layout is still zero, since only the
// pixels are written.
type padKey struct {
	l pad3
	c int
}

// padPlanes copies channels [0, c) of images [b0, b0+nb) of x (CNHW, n
// images of h×w) into planes of layout l in dst, zeroing the padding
// unless *key says it is, and rectifies them if relu. With stride 2 each
// channel becomes its four phases (planes p = 2*(y%2) + x%2, lc floats
// apart).
func padPlanes(dst, x []float32, key *padKey, l pad3, c, n, h, w, b0, nb, stride int, relu bool) {
	planes := c * stride * stride
	if k := (padKey{l, planes}); *key != k {
		clear(dst[:planes*l.lc])
		*key = k
	}
	hw := h * w
	for ci := 0; ci < c; ci++ {
		for i := 0; i < nb; i++ {
			src := x[(ci*n+b0+i)*hw : (ci*n+b0+i+1)*hw]
			if stride == 1 {
				plane := dst[ci*l.lc : (ci+1)*l.lc]
				for y := 0; y < h; y++ {
					copy(plane[l.o+(i*l.row+y)*l.wp:][:w], src[y*w:(y+1)*w])
				}
				continue
			}
			for y := 0; y < h; y++ {
				r := l.o + (i*l.row+y/2)*l.wp
				even := dst[(ci*4+y%2*2)*l.lc+r:][:w/2]
				odd := dst[(ci*4+y%2*2+1)*l.lc+r:][:w/2]
				s := src[y*w : (y+1)*w]
				for xx := range even {
					even[xx], odd[xx] = s[2*xx], s[2*xx+1]
				}
			}
		}
	}
	if relu {
		reluPlanes(&dst[0], planes*l.lc)
	}
}

// conv3Product sets out[r, j] (rows of l.lr floats) for rows < rows, a
// multiple of 8, to the product of the kernels a, packed for set, with
// the padded planes x of chans channels, cs floats apart.
func conv3Product(out, a, x []float32, l pad3, rows, chans, cs int, set *tapSet) {
	per := chans * set.n * 8
	for r0 := 0; r0 < rows; r0 += 8 {
		ap := &a[r0/8*per]
		for j := 0; j < l.lr; j += 32 {
			convTile8x32(ap, &x[l.o+j], &out[r0*l.lr+j], l.lr, chans, cs, &set.off[0], set.n)
		}
	}
}

// forward3 is convTask.forward on the direct path for images [b0, b1).
func (t *convTask) forward3(sc *convScratch, b0, b1 int) {
	g := t.g
	nb := b1 - b0
	l := newPad3(g, nb)
	ph := g.Stride * g.Stride // planes per input channel
	xp := grow(&sc.in, g.Cin*ph*l.lc)
	padPlanes(xp, t.src, &sc.inKey, l, g.Cin, g.N, g.H, g.W, b0, nb, g.Stride, g.ReLU)
	out := grow(&sc.col, g.Cout*l.lr)
	set := forwardTaps(g.Stride, l)
	conv3Product(out, t.packed, xp, l, g.Cout, g.Cin, ph*l.lc, &set)
	ho, wo := g.OutH(), g.OutW()
	for co := 0; co < g.Cout; co++ {
		var bv float32
		if t.bias != nil {
			bv = t.bias[co]
		}
		o := out[co*l.lr : (co+1)*l.lr]
		for i := 0; i < nb; i++ {
			d := t.dst[(co*g.N+b0+i)*ho*wo : (co*g.N+b0+i+1)*ho*wo]
			for y := 0; y < ho; y++ {
				addConstCopy(d[y*wo:(y+1)*wo], o[(i*l.row+y)*l.wp:][:wo], bv)
			}
		}
	}
}

// backward3 is convTask.backward on the direct path for images [b0, b1).
func (t *convTask) backward3(sc *convScratch, dw []float32, b0, b1 int) {
	g := t.g
	nb := b1 - b0
	l := newPad3(g, nb)
	ph := g.Stride * g.Stride
	ho, wo := g.OutH(), g.OutW()
	xp := grow(&sc.in, g.Cin*ph*l.lc)
	padPlanes(xp, t.src, &sc.inKey, l, g.Cin, g.N, g.H, g.W, b0, nb, g.Stride, g.ReLU)
	yp := grow(&sc.din, g.Cout*l.lc)
	padPlanes(yp, t.dy, &sc.dinKey, l, g.Cout, g.N, ho, wo, b0, nb, 1, false)

	// dw[co, ci, kh, kw] += sum_j dy[co, j] x[ci, j + offset of the tap],
	// over the padded positions j, where dy is zero outside the images.
	var part [12]float32
	set := forwardTaps(g.Stride, l)
	kk := g.Cin * 9
	for co := 0; co < g.Cout; co += 4 {
		y := &yp[co*l.lc+l.o]
		for ci := 0; ci < g.Cin; ci++ {
			x := &xp[ci*ph*l.lc+l.o]
			for kh := 0; kh < 3; kh++ {
				wgradTile4x3(y, x, &set.off[kh*3], l.lc, l.lr, &part[0])
				for i := 0; i < 4; i++ {
					row := dw[(co+i)*kk+ci*9+kh*3:]
					for tap := 0; tap < 3; tap++ {
						row[tap] += part[i*3+tap]
					}
				}
			}
		}
	}
	if t.dsrc == nil {
		return
	}
	sets, n := backwardTaps(g.Stride, l)
	out := grow(&sc.col, g.Cin*l.lr)
	packed := t.packed
	hw := g.H * g.W
	for p := 0; p < n; p++ {
		conv3Product(out, packed, yp, l, g.Cin, g.Cout, l.lc, &sets[p])
		packed = packed[g.Cin*g.Cout*sets[p].n:]
		a, b := p/2, p%2 // the phase's first input row and column
		for ci := 0; ci < g.Cin; ci++ {
			o := out[ci*l.lr : (ci+1)*l.lr]
			if g.ReLU {
				// xp holds the rectified input, positive exactly where
				// the input is.
				maskPositive(&o[0], &xp[(ci*ph+p)*l.lc+l.o], l.lr)
			}
			for i := 0; i < nb; i++ {
				d := t.dsrc[(ci*g.N+b0+i)*hw : (ci*g.N+b0+i+1)*hw]
				for y := 0; y < ho; y++ {
					r := o[(i*l.row+y)*l.wp:][:wo]
					if g.Stride == 1 {
						addTo(d[y*g.W:(y+1)*g.W], r)
						continue
					}
					dr := d[(2*y+a)*g.W:][:g.W]
					for x, v := range r {
						dr[2*x+b] += v
					}
				}
			}
		}
	}
}

// addConstCopy sets dst = src + c.
func addConstCopy(dst, src []float32, c float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v + c
	}
}
