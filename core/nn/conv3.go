package nn

// Direct 3x3 convolution on AVX-512 (stride 1, padding 1, output
// channels a multiple of 8). A block's input planes are copied into
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
// On mini (8 channels, 16x16) this replaces a 4.7 MB im2col matrix, its
// packing and its col2im by one padded copy of the block (13% larger than
// the input) that stays in L1/L2.

// useConv3 sends eligible convolutions to the direct path; tests turn it
// off to check the blocked im2col path on the same CPU.
var useConv3 = has512

// conv3Floats is about how many floats a block's padded planes (input,
// output gradient and output) may take.
var conv3Floats = 48 << 10

// conv3 reports whether a convolution runs on the direct path, forward or
// (back) backward with an input gradient (dsrc).
func conv3(g ConvGeom, back, dsrc bool) bool {
	if !useConv3 || g.K != 3 || g.Stride != 1 || g.Pad != 1 || g.Cout%8 != 0 {
		return false
	}
	return !back || !dsrc || g.Cin%8 == 0
}

// pad3 is the padded layout of a block of nb images.
type pad3 struct {
	wp  int // floats per padded row, W+1
	o   int // offset of pixel (0, 0) of the first image
	lr  int // output columns computed, from o on: a multiple of 32
	lc  int // floats per padded plane, with room for every tap read
	row int // padded rows per image, H+1
}

func newPad3(g ConvGeom, nb int) pad3 {
	wp := g.W + 1
	o := wp + 1
	lr := roundUp((nb*(g.H+1)-1)*wp, 32)
	return pad3{wp: wp, o: o, lr: lr, lc: roundUp(o+lr+wp+1+32, 16), row: g.H + 1}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// conv3Images is the block size of the direct path, in images.
func conv3Images(g ConvGeom) int {
	per := (g.Cin + 2*g.Cout) * (g.H + 1) * (g.W + 1)
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
// images) into planes of layout l in dst, zeroing the padding unless
// *key says it is, and rectifies them if relu.
func padPlanes(dst, x []float32, key *padKey, l pad3, c, n, h, w, b0, nb int, relu bool) {
	if k := (padKey{l, c}); *key != k {
		clear(dst[:c*l.lc])
		*key = k
	}
	hw := h * w
	for ci := 0; ci < c; ci++ {
		plane := dst[ci*l.lc : (ci+1)*l.lc]
		for i := 0; i < nb; i++ {
			src := x[(ci*n+b0+i)*hw : (ci*n+b0+i+1)*hw]
			for y := 0; y < h; y++ {
				copy(plane[l.o+(i*l.row+y)*l.wp:][:w], src[y*w:(y+1)*w])
			}
		}
	}
	if relu {
		reluPlanes(&dst[0], c*l.lc)
	}
}

// packConv3 packs w [cout, cin, 3, 3] for convTile8x32: for each group of
// 8 output channels, 8 weights per tap in (ci, kh, kw) order. With flip
// it packs the input-gradient kernels instead: output channels and input
// channels swap and each kernel turns 180 degrees.
func packConv3(dst, w []float32, cout, cin int, flip bool) {
	rows, taps := cout, cin*9
	if flip {
		rows, taps = cin, cout*9
	}
	for r0 := 0; r0 < rows; r0 += 8 {
		p := dst[r0*taps : (r0+8)*taps]
		for s := 0; s < taps; s++ {
			for i := 0; i < 8; i++ {
				var v float32
				if flip { // s = (co, a, b), row i = input channel r0+i
					co, k := s/9, s%9
					v = w[(co*cin+r0+i)*9+8-k]
				} else {
					v = w[(r0+i)*taps+s]
				}
				p[s*8+i] = v
			}
		}
	}
}

// conv3Product sets out[r, j] (rows of l.lr floats) for rows < rows, a
// multiple of 8, to the product of the packed kernels a with the padded
// planes x of cin channels.
func conv3Product(out, a, x []float32, l pad3, rows, cin int) {
	taps := cin * 9
	for r0 := 0; r0 < rows; r0 += 8 {
		ap := &a[r0*taps]
		for j := 0; j < l.lr; j += 32 {
			convTile8x32(ap, &x[l.o+j-l.wp-1], &out[r0*l.lr+j], l.lr, cin, l.wp, l.lc)
		}
	}
}

// forward3 is convTask.forward on the direct path for images [b0, b1).
func (t *convTask) forward3(sc *convScratch, b0, b1 int) {
	g := t.g
	nb := b1 - b0
	l := newPad3(g, nb)
	xp := grow(&sc.in, g.Cin*l.lc)
	padPlanes(xp, t.src, &sc.inKey, l, g.Cin, g.N, g.H, g.W, b0, nb, g.ReLU)
	out := grow(&sc.col, g.Cout*l.lr)
	conv3Product(out, t.packed, xp, l, g.Cout, g.Cin)
	hw := g.H * g.W
	for co := 0; co < g.Cout; co++ {
		var bv float32
		if t.bias != nil {
			bv = t.bias[co]
		}
		o := out[co*l.lr : (co+1)*l.lr]
		for i := 0; i < nb; i++ {
			d := t.dst[(co*g.N+b0+i)*hw : (co*g.N+b0+i+1)*hw]
			for y := 0; y < g.H; y++ {
				r := o[(i*l.row+y)*l.wp:]
				addConstCopy(d[y*g.W:(y+1)*g.W], r[:g.W], bv)
			}
		}
	}
}

// backward3 is convTask.backward on the direct path for images [b0, b1).
func (t *convTask) backward3(sc *convScratch, dw []float32, b0, b1 int) {
	g := t.g
	nb := b1 - b0
	l := newPad3(g, nb)
	xp := grow(&sc.in, g.Cin*l.lc)
	padPlanes(xp, t.src, &sc.inKey, l, g.Cin, g.N, g.H, g.W, b0, nb, g.ReLU)
	yp := grow(&sc.din, g.Cout*l.lc)
	padPlanes(yp, t.dy, &sc.dinKey, l, g.Cout, g.N, g.H, g.W, b0, nb, false)

	// dw[co, ci, kh, kw] += sum_j dy[co, j] x[ci, j + (kh-1)*wp + kw-1],
	// over the padded positions j, where dy is zero outside the images.
	var part [12 * 16]float32
	kk := g.Cin * 9
	for co := 0; co < g.Cout; co += 4 {
		y := &yp[co*l.lc+l.o]
		for ci := 0; ci < g.Cin; ci++ {
			for kh := 0; kh < 3; kh++ {
				wgradTile4x3(y, &xp[ci*l.lc+l.o+(kh-1)*l.wp-1], l.lc, l.lr, &part[0])
				for i := 0; i < 4; i++ {
					row := dw[(co+i)*kk+ci*9+kh*3:]
					for tap := 0; tap < 3; tap++ {
						row[tap] += laneSum((*[16]float32)(part[(i*3+tap)*16:]))
					}
				}
			}
		}
	}
	if t.dsrc == nil {
		return
	}
	out := grow(&sc.col, g.Cin*l.lr)
	conv3Product(out, t.packed, yp, l, g.Cin, g.Cout)
	hw := g.H * g.W
	for ci := 0; ci < g.Cin; ci++ {
		o := out[ci*l.lr : (ci+1)*l.lr]
		if g.ReLU {
			// xp holds the rectified input, positive exactly where the
			// input is.
			maskPositive(&o[0], &xp[ci*l.lc+l.o], l.lr)
		}
		for i := 0; i < nb; i++ {
			d := t.dsrc[(ci*g.N+b0+i)*hw : (ci*g.N+b0+i+1)*hw]
			for y := 0; y < g.H; y++ {
				addTo(d[y*g.W:(y+1)*g.W], o[(i*l.row+y)*l.wp:][:g.W])
			}
		}
	}
}

// laneSum adds 16 partial sums pairwise.
func laneSum(p *[16]float32) float32 {
	var s [8]float32
	for i := range s {
		s[i] = p[i] + p[i+8]
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

// addConstCopy sets dst = src + c.
func addConstCopy(dst, src []float32, c float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v + c
	}
}
