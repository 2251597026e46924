package gemm

// Im2colSame writes the im2col matrix of one input channel of a stride-1
// convolution whose output is as large as its input (k = 2*pad+1): row
// kh*k+kw, n*h*w floats long, holds for image i, output row y and column x
// the input src[i*h*w + (y+kh-pad)*w + x+kw-pad], or 0 where that falls
// outside the h×w plane. col must hold k*k*n*h*w floats, src n*h*w.
//
// In the browser it runs on the simd128 kernel module when loaded (see
// simd_js.go); results are identical (it only moves floats).
func Im2colSame(col, src []float32, n, h, w, k, pad int) {
	if !checkSame(len(col), len(src), n, h, w, k, pad) {
		return
	}
	im2colSame(col, src, n, h, w, k, pad)
}

// Col2imSame is Im2colSame's adjoint: it adds the gradient col of such a
// matrix into the gradient acc of its input channel (n*h*w floats), tap by
// tap in the order kh, kw. It may zero entries of col that read outside
// the input (col is scratch): that makes each tap's contribution one
// contiguous run.
func Col2imSame(acc, col []float32, n, h, w, k, pad int) {
	if !checkSame(len(col), len(acc), n, h, w, k, pad) {
		return
	}
	col2imSame(acc, col, n, h, w, k, pad)
}

// checkSame panics on arguments that can only come from a programming
// error and reports whether there is anything to do.
func checkSame(lenCol, lenPlanes, n, h, w, k, pad int) bool {
	if n < 0 || h < 0 || w < 0 || k < 1 || pad < 0 || 2*pad+1 != k {
		panic("gemm: bad im2col geometry")
	}
	p := n * h * w
	if lenPlanes < p || lenCol < k*k*p {
		panic("gemm: insufficient length of an im2col operand")
	}
	return p > 0
}

// run is the part of one tap's shift that reads inside the input: output
// rows [y0, y1) and columns [x0, x1); flat, output [lo, hi) of a plane
// reads the input from src0 on as one contiguous run (its entries in the
// columns outside [x0, x1) are then zeroed).
type run struct {
	y0, y1, x0, x1, lo, hi, src0 int
	empty                        bool
}

func tapRun(kh, kw, h, w, pad int) run {
	dy, dx := kh-pad, kw-pad
	r := run{y0: max(0, -dy), y1: min(h, h-dy), x0: max(0, -dx), x1: min(w, w-dx)}
	r.empty = r.y0 >= r.y1 || r.x0 >= r.x1
	a, b := r.y0*w, r.y1*w
	sa := a + dy*w + dx
	r.lo, r.hi = a, b
	if sa < 0 { // only the first x0 entries fall before the plane
		r.lo = a - sa
	}
	if e := sa + (b - a); e > h*w {
		r.hi = b - (e - h*w)
	}
	r.src0 = sa + (r.lo - a)
	return r
}

// clearEdges zeroes the columns outside [x0, x1) of rows [y0, y1).
func (r run) clearEdges(plane []float32, w int) {
	for y := r.y0; y < r.y1; y++ {
		row := plane[y*w : (y+1)*w]
		clear(row[:r.x0])
		clear(row[r.x1:])
	}
}

func im2colSameGo(col, src []float32, n, h, w, k, pad int) {
	hw := h * w
	p := n * hw
	for kh := 0; kh < k; kh++ {
		for kw := 0; kw < k; kw++ {
			r := tapRun(kh, kw, h, w, pad)
			row := col[(kh*k+kw)*p : (kh*k+kw+1)*p]
			for i := 0; i < n; i++ {
				out := row[i*hw : (i+1)*hw]
				if r.empty {
					clear(out)
					continue
				}
				copy(out[r.lo:r.hi], src[i*hw+r.src0:])
				clear(out[:r.lo])
				clear(out[r.hi:])
				r.clearEdges(out, w)
			}
		}
	}
}

func col2imSameGo(acc, col []float32, n, h, w, k, pad int) {
	hw := h * w
	p := n * hw
	for kh := 0; kh < k; kh++ {
		for kw := 0; kw < k; kw++ {
			r := tapRun(kh, kw, h, w, pad)
			if r.empty {
				continue
			}
			row := col[(kh*k+kw)*p : (kh*k+kw+1)*p]
			for i := 0; i < n; i++ {
				in := row[i*hw : (i+1)*hw]
				r.clearEdges(in, w)
				src := in[r.lo:r.hi]
				d := acc[i*hw+r.src0:]
				d = d[:len(src)]
				for j, v := range src {
					d[j] += v
				}
			}
		}
	}
}

// Im2col writes the im2col matrix of one input channel of a convolution
// of any stride and padding (no ReLU): row kh*k+kw, n*ho*wo floats long
// with ho = (h+2*pad-k)/stride+1 (wo likewise), holds for image i, output
// row y and column x the input src[i*h*w + (y*stride+kh-pad)*w +
// x*stride+kw-pad], or 0 where that falls outside the h×w plane. col must
// hold k*k*n*ho*wo floats, src n*h*w. It is the general path beside
// Im2colSame (the strided layers); in the browser it runs on the simd128
// kernel module when loaded, with identical results (it only moves floats).
func Im2col(col, src []float32, n, h, w, k, pad, stride int) {
	ho, wo, ok := checkGeneral(len(col), len(src), n, h, w, k, pad, stride)
	if !ok {
		return
	}
	im2colGen(col, src, n, h, w, k, pad, stride, ho, wo)
}

// Col2im is Im2col's adjoint: it adds the gradient col of such a matrix
// into the gradient acc of its input channel (n*h*w floats), tap by tap in
// the order kh, kw, then image, output row and column, as core/nn's loops
// did (so the sums are bit-identical to theirs).
func Col2im(acc, col []float32, n, h, w, k, pad, stride int) {
	ho, wo, ok := checkGeneral(len(col), len(acc), n, h, w, k, pad, stride)
	if !ok {
		return
	}
	col2imGen(acc, col, n, h, w, k, pad, stride, ho, wo)
}

func checkGeneral(lenCol, lenPlanes, n, h, w, k, pad, stride int) (ho, wo int, ok bool) {
	if n < 0 || h < 0 || w < 0 || k < 1 || pad < 0 || stride < 1 {
		panic("gemm: bad im2col geometry")
	}
	ho, wo = (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
	if h+2*pad < k || w+2*pad < k {
		ho, wo = 0, 0
	}
	if lenPlanes < n*h*w || lenCol < k*k*n*ho*wo {
		panic("gemm: insufficient length of an im2col operand")
	}
	return ho, wo, n*ho*wo > 0
}

// colRange returns the output columns [x0, x1) whose input column
// x*stride + kw - pad, with pad-kw = shift, falls inside [0, w); x0 <= x1.
func colRange(shift, w, stride, wo int) (x0, x1 int) {
	if shift > 0 {
		x0 = (shift + stride - 1) / stride
	}
	x1 = (w + shift + stride - 1) / stride
	x0 = min(x0, wo)
	return x0, max(min(max(x1, 0), wo), x0)
}

func im2colGo(col, src []float32, n, h, w, k, pad, stride, ho, wo int) {
	p := n * ho * wo
	for kh := 0; kh < k; kh++ {
		for kw := 0; kw < k; kw++ {
			row := col[(kh*k+kw)*p : (kh*k+kw+1)*p]
			x0, x1 := colRange(pad-kw, w, stride, wo)
			off := kw - pad
			for i := 0; i < n; i++ {
				plane := src[i*h*w : (i+1)*h*w]
				for oy := 0; oy < ho; oy++ {
					out := row[(i*ho+oy)*wo : (i*ho+oy+1)*wo]
					iy := oy*stride - pad + kh
					if iy < 0 || iy >= h {
						clear(out)
						continue
					}
					in := plane[iy*w : (iy+1)*w]
					clear(out[:x0])
					clear(out[x1:])
					mid := out[x0:x1]
					if stride == 1 {
						copy(mid, in[x0+off:x1+off])
						continue
					}
					for j := range mid {
						mid[j] = in[(x0+j)*stride+off]
					}
				}
			}
		}
	}
}

func col2imGo(acc, col []float32, n, h, w, k, pad, stride, ho, wo int) {
	p := n * ho * wo
	for kh := 0; kh < k; kh++ {
		for kw := 0; kw < k; kw++ {
			row := col[(kh*k+kw)*p : (kh*k+kw+1)*p]
			x0, x1 := colRange(pad-kw, w, stride, wo)
			if x0 >= x1 {
				continue
			}
			off := kw - pad
			for i := 0; i < n; i++ {
				plane := acc[i*h*w : (i+1)*h*w]
				for oy := 0; oy < ho; oy++ {
					iy := oy*stride - pad + kh
					if iy < 0 || iy >= h {
						continue
					}
					in := row[(i*ho+oy)*wo+x0 : (i*ho+oy)*wo+x1]
					d := plane[iy*w : (iy+1)*w]
					for j, v := range in {
						d[(x0+j)*stride+off] += v
					}
				}
			}
		}
	}
}
