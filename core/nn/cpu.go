package nn

import (
	"fmt"
	"math"

	"pada/core/gemm"
	"pada/core/par"
)

// CPU is the pure-Go Backend. Matrix products go through gemm; the other
// kernels split their channels (or planes) over a worker pool. The zero
// value is not usable; call NewCPU.
type CPU struct {
	pool   *par.Pool
	mm     *gemm.Parallel
	convWS []convScratch // one per worker share of a blocked convolution
	packed []float32     // a convolution's kernels packed for the direct path

	// One preallocated task per kernel: handing par a pointer to a long-
	// lived struct keeps every call allocation-free.
	conv    convTask
	span    spanTask
	bn      bnTask
	bnBack  bnBackTask
	pool3   pool3Task
	pool3B  pool3BackTask
	pool2   pool2Task
	pool2B  pool2BackTask
	rowSum  rowSumTask
	reluMn  reluMeanTask
	reluMnB reluMeanBackTask
}

// NewCPU returns a CPU backend that uses threads goroutines (1 in wasm).
func NewCPU(threads int) *CPU {
	p := par.New(threads)
	return &CPU{pool: p, mm: gemm.NewParallel(p)}
}

// Threads reports the number of goroutines the backend uses.
func (b *CPU) Threads() int { return b.pool.Threads() }

// Close stops the backend's workers.
func (b *CPU) Close() { b.pool.Close() }

// Reserve sizes the blocked convolutions' im2col scratch for a network
// whose largest whole-batch im2col matrix has colLen floats, so that the
// first steps allocate less. Blocks are small, so this is at most a few
// hundred KiB per worker.
func (b *CPU) Reserve(colLen int) {
	for len(b.convWS) < b.pool.Threads() {
		b.convWS = append(b.convWS, convScratch{})
	}
	for i := range b.convWS {
		grow(&b.convWS[i].col, min(colLen, convBlockFloats))
	}
}

func mustLen(what string, buf []float32, n int) {
	if len(buf) < n {
		panic(fmt.Sprintf("nn: %s has length %d, need %d", what, len(buf), n))
	}
}

// ToCNHW implements Backend.
func (b *CPU) ToCNHW(dst, src []float32, n, c, hw int) {
	mustLen("ToCNHW src", src, n*c*hw)
	mustLen("ToCNHW dst", dst, n*c*hw)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			copy(dst[(j*n+i)*hw:(j*n+i+1)*hw], src[(i*c+j)*hw:(i*c+j+1)*hw])
		}
	}
}

// direct reports whether the input itself can serve as the im2col matrix.
func direct(g ConvGeom) bool { return g.K == 1 && g.Stride == 1 && g.Pad == 0 && !g.ReLU }

// Conv implements Backend.
func (b *CPU) Conv(dst, src, w, bias []float32, g ConvGeom) {
	mustLen("Conv src", src, g.InLen())
	mustLen("Conv dst", dst, g.OutLen())
	mustLen("Conv w", w, g.WeightLen())
	if blocked(g) {
		b.conv = convTask{g: g, dst: dst, src: src, w: w, bias: bias}
		b.convBlocked(&b.conv)
		return
	}
	p := g.N * g.H * g.W
	b.mm.Sgemm(false, false, g.Cout, p, g.Cin, 1, w, g.Cin, src, p, 0, dst, p)
	if bias != nil {
		for co, bv := range bias[:g.Cout] {
			addConst(dst[co*p:(co+1)*p], bv)
		}
	}
}

// ConvBackward implements Backend.
func (b *CPU) ConvBackward(dsrc, dw, db, dy, src, w []float32, g ConvGeom) {
	p := g.N * g.OutH() * g.OutW()
	mustLen("ConvBackward dy", dy, g.Cout*p)
	mustLen("ConvBackward dw", dw, g.WeightLen())
	mustLen("ConvBackward src", src, g.InLen())
	if dsrc != nil {
		mustLen("ConvBackward dsrc", dsrc, g.InLen())
	}
	if db != nil {
		b.rowSum.set(db, dy, p)
		b.pool.For(g.Cout, 1, &b.rowSum)
	}
	if blocked(g) {
		b.conv = convTask{g: g, back: true, dsrc: dsrc, dw: dw, dy: dy, src: src, w: w}
		b.convBlocked(&b.conv)
		return
	}
	b.mm.Sgemm(false, true, g.Cout, g.Cin, p, 1, dy, p, src, p, 1, dw, g.Cin)
	if dsrc != nil {
		b.mm.Sgemm(true, false, g.Cin, p, g.Cout, 1, w, g.Cin, dy, p, 1, dsrc, p)
	}
}

// BatchNorm implements Backend.
func (b *CPU) BatchNorm(x, mean, invstd []float32, c, p int) {
	mustLen("BatchNorm x", x, c*p)
	b.bn = bnTask{x: x, mean: mean, invstd: invstd, p: p}
	b.pool.For(c, 1, &b.bn)
}

// BatchNormBackward implements Backend.
func (b *CPU) BatchNormBackward(dx, dy, xhat, invstd []float32, c, p int) {
	mustLen("BatchNormBackward dy", dy, c*p)
	b.bnBack = bnBackTask{dx: dx, dy: dy, xhat: xhat, invstd: invstd, p: p}
	b.pool.For(c, 1, &b.bnBack)
}

// AvgPool3Add implements Backend.
func (b *CPU) AvgPool3Add(dst, src []float32, planes, h, w int) {
	mustLen("AvgPool3Add src", src, planes*h*w)
	b.pool3 = pool3Task{dst: dst, src: src, h: h, w: w}
	b.pool.For(planes, 4, &b.pool3)
}

// AvgPool3Backward implements Backend.
func (b *CPU) AvgPool3Backward(dsrc, ddst []float32, planes, h, w int) {
	mustLen("AvgPool3Backward ddst", ddst, planes*h*w)
	b.pool3B = pool3BackTask{dsrc: dsrc, ddst: ddst, h: h, w: w}
	b.pool.For(planes, 4, &b.pool3B)
}

// AvgPool2 implements Backend.
func (b *CPU) AvgPool2(dst, src []float32, planes, h, w int) {
	mustLen("AvgPool2 src", src, planes*h*w)
	b.pool2 = pool2Task{dst: dst, src: src, h: h, w: w}
	b.pool.For(planes, 4, &b.pool2)
}

// AvgPool2Backward implements Backend.
func (b *CPU) AvgPool2Backward(dsrc, ddst []float32, planes, h, w int) {
	mustLen("AvgPool2Backward dsrc", dsrc, planes*h*w)
	b.pool2B = pool2BackTask{dsrc: dsrc, ddst: ddst, h: h, w: w}
	b.pool.For(planes, 4, &b.pool2B)
}

// Add implements Backend.
func (b *CPU) Add(dst, src []float32) {
	b.span = spanTask{dst: dst[:len(src)], src: src}
	b.pool.For((len(src)+spanChunk-1)/spanChunk, 4, &b.span)
	b.span = spanTask{}
}

// Zero implements Backend.
func (b *CPU) Zero(x []float32) {
	b.span = spanTask{dst: x}
	b.pool.For((len(x)+spanChunk-1)/spanChunk, 4, &b.span)
	b.span = spanTask{}
}

// spanChunk is the unit (in floats) that Add and Zero split over workers:
// a buffer under four chunks (64 KiB) is not worth a hand-off.
const spanChunk = 4096

// spanTask adds src to dst, or zeroes dst if src is nil, by chunks.
type spanTask struct{ dst, src []float32 }

func (t *spanTask) Do(lo, hi int) {
	a, z := lo*spanChunk, min(hi*spanChunk, len(t.dst))
	if t.src == nil {
		clear(t.dst[a:z])
		return
	}
	addTo(t.dst[a:z], t.src[a:z])
}

// ReLUMean implements Backend.
func (b *CPU) ReLUMean(dst, src []float32, cn, hw int) {
	mustLen("ReLUMean src", src, cn*hw)
	b.reluMn = reluMeanTask{dst: dst, src: src, hw: hw}
	b.pool.For(cn, 64, &b.reluMn)
}

// ReLUMeanBackward implements Backend.
func (b *CPU) ReLUMeanBackward(dsrc, ddst, src []float32, cn, hw int) {
	mustLen("ReLUMeanBackward src", src, cn*hw)
	b.reluMnB = reluMeanBackTask{dsrc: dsrc, ddst: ddst, src: src, hw: hw}
	b.pool.For(cn, 64, &b.reluMnB)
}

// Linear implements Backend.
func (b *CPU) Linear(out, in, w, bias []float32, n, c, k int) {
	mustLen("Linear in", in, c*n)
	mustLen("Linear w", w, k*c)
	mustLen("Linear out", out, n*k)
	gemm.Sgemm(true, true, n, k, c, 1, in, n, w, c, 0, out, k)
	for i := 0; i < n; i++ {
		row := out[i*k : (i+1)*k]
		for j := range row {
			row[j] += bias[j]
		}
	}
}

// LinearBackward implements Backend.
func (b *CPU) LinearBackward(din, dw, db, dout, in, w []float32, n, c, k int) {
	mustLen("LinearBackward dout", dout, n*k)
	gemm.Sgemm(true, true, k, c, n, 1, dout, k, in, n, 1, dw, c)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			db[j] += dout[i*k+j]
		}
	}
	gemm.Sgemm(true, true, c, n, k, 1, w, c, dout, k, 0, din, n)
}

// SoftmaxCrossEntropy implements Backend.
func (b *CPU) SoftmaxCrossEntropy(probs, dlogits, logits []float32, labels []int32, weight []float32, n, k int) (float64, int) {
	mustLen("SoftmaxCrossEntropy logits", logits, n*k)
	var loss float64
	correct := 0
	inv := 1 / float64(n)
	for i := 0; i < n; i++ {
		row := logits[i*k : (i+1)*k]
		y := int(labels[i])
		if y < 0 || y >= k {
			panic(fmt.Sprintf("nn: label %d of row %d is outside [0, %d)", y, i, k))
		}
		arg, mx := 0, row[0]
		for j, v := range row {
			if v > mx {
				arg, mx = j, v
			}
		}
		if arg == y {
			correct++
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		lse := float64(mx) + math.Log(sum)
		wi := 1.0
		if weight != nil {
			wi = float64(weight[i])
		}
		loss += wi * (lse - float64(row[y]))
		pr := probs[i*k : (i+1)*k]
		dl := dlogits[i*k : (i+1)*k]
		for j, v := range row {
			pj := math.Exp(float64(v) - lse)
			pr[j] = float32(pj)
			if j == y {
				pj--
			}
			dl[j] = float32(wi * inv * pj)
		}
	}
	return loss * inv, correct
}

// im2colTask fills rows [ci*K*K, (ci+1)*K*K) of the column matrix for the
// input channels ci in [lo, hi).
type im2colTask struct {
	col, src []float32
	g        ConvGeom
}

func (t *im2colTask) set(col, src []float32, g ConvGeom) { *t = im2colTask{col, src, g} }

func (t *im2colTask) Do(lo, hi int) {
	g := t.g
	ho, wo := g.OutH(), g.OutW()
	p := g.N * ho * wo
	if g.Stride == 1 && ho == g.H && wo == g.W && !g.ReLU {
		t.same(lo, hi)
		return
	}
	if !g.ReLU { // the blocked convolutions (conv.go): gemm's loops, simd128 in wasm
		kk, hw := g.K*g.K, g.H*g.W
		for ci := lo; ci < hi; ci++ {
			gemm.Im2col(t.col[ci*kk*p:(ci+1)*kk*p], t.src[ci*g.N*hw:(ci+1)*g.N*hw], g.N, g.H, g.W, g.K, g.Pad, g.Stride)
		}
		return
	}
	for ci := lo; ci < hi; ci++ {
		for kh := 0; kh < g.K; kh++ {
			for kw := 0; kw < g.K; kw++ {
				row := t.col[((ci*g.K+kh)*g.K+kw)*p : ((ci*g.K+kh)*g.K+kw+1)*p]
				x0, x1 := validRange(g.Pad-kw, g.W, g.Stride, wo)
				off := kw - g.Pad
				for n := 0; n < g.N; n++ {
					plane := t.src[(ci*g.N+n)*g.H*g.W : (ci*g.N+n+1)*g.H*g.W]
					for oy := 0; oy < ho; oy++ {
						out := row[(n*ho+oy)*wo : (n*ho+oy+1)*wo]
						iy := oy*g.Stride - g.Pad + kh
						if iy < 0 || iy >= g.H {
							clear(out)
							continue
						}
						in := plane[iy*g.W : (iy+1)*g.W]
						clear(out[:x0])
						clear(out[x1:])
						mid := out[x0:x1]
						switch {
						case g.Stride == 1 && !g.ReLU:
							copy(mid, in[x0+off:x1+off])
						case g.Stride == 1:
							src := in[x0+off : x1+off]
							src = src[:len(mid)]
							for i, v := range src {
								mid[i] = relu(v)
							}
						default:
							for i := range mid {
								v := in[(x0+i)*g.Stride+off]
								if g.ReLU && v < 0 {
									v = 0
								}
								mid[i] = v
							}
						}
					}
				}
			}
		}
	}
}

// same is Do for stride 1 and "same" padding: each row of the column
// matrix is the image plane shifted by (kh-pad)*W + (kw-pad), one
// contiguous copy per plane (gemm.Im2colSame, a simd128 kernel in wasm).
func (t *im2colTask) same(lo, hi int) {
	g := t.g
	p := g.N * g.H * g.W
	kk := g.K * g.K
	for ci := lo; ci < hi; ci++ {
		gemm.Im2colSame(t.col[ci*kk*p:(ci+1)*kk*p], t.src[ci*p:(ci+1)*p], g.N, g.H, g.W, g.K, g.Pad)
	}
}

// notPositive is all ones when x <= 0 (or -0) and zero when x > 0. ReLU and
// its gradient mask use it instead of a branch: activations are positive
// about half the time at random, which a branch predictor cannot learn,
// and the builtin max has NaN and signed-zero rules that cost as much.
func notPositive(x float32) uint32 {
	b := int32(math.Float32bits(x))
	// b>>31 catches the sign bit (negatives, -0); (b-1)>>31 catches +0.
	return uint32(b>>31 | (b-1)>>31)
}

// relu is max(x, 0) without a branch.
func relu(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ notPositive(x))
}

// validRange returns the output columns [x0, x1) whose input column
// ox*stride - pad + kw, with pad-kw = shift, falls inside [0, w).
func validRange(shift, w, stride, wo int) (x0, x1 int) {
	// ox*stride >= shift  and  ox*stride < w + shift.
	x0 = 0
	if shift > 0 {
		x0 = (shift + stride - 1) / stride
	}
	x1 = (w + shift + stride - 1) / stride
	return min(x0, wo), min(max(x1, 0), wo)
}

// col2imTask adds the column-matrix gradient back into input channels
// [lo, hi), masked by the input ReLU.
type col2imTask struct {
	dsrc, col, src []float32
	g              ConvGeom
}

func (t *col2imTask) set(dsrc, col, src []float32, g ConvGeom) {
	*t = col2imTask{dsrc: dsrc, col: col, src: src, g: g}
}

func (t *col2imTask) Do(lo, hi int) {
	g := t.g
	ho, wo := g.OutH(), g.OutW()
	p := g.N * ho * wo
	hw := g.H * g.W
	if g.Stride == 1 && ho == g.H && wo == g.W && !g.ReLU {
		t.same(lo, hi)
		return
	}
	if !g.ReLU { // the blocked convolutions (conv.go): gemm's loops, simd128 in wasm
		kk := g.K * g.K
		for ci := lo; ci < hi; ci++ {
			gemm.Col2im(t.dsrc[ci*g.N*hw:(ci+1)*g.N*hw], t.col[ci*kk*p:(ci+1)*kk*p], g.N, g.H, g.W, g.K, g.Pad, g.Stride)
		}
		return
	}
	for ci := lo; ci < hi; ci++ {
		for kh := 0; kh < g.K; kh++ {
			for kw := 0; kw < g.K; kw++ {
				row := t.col[((ci*g.K+kh)*g.K+kw)*p : ((ci*g.K+kh)*g.K+kw+1)*p]
				x0, x1 := validRange(g.Pad-kw, g.W, g.Stride, wo)
				if x0 >= x1 {
					continue
				}
				off := kw - g.Pad
				for n := 0; n < g.N; n++ {
					dplane := t.dsrc[(ci*g.N+n)*hw : (ci*g.N+n+1)*hw]
					splane := t.src[(ci*g.N+n)*hw : (ci*g.N+n+1)*hw]
					for oy := 0; oy < ho; oy++ {
						iy := oy*g.Stride - g.Pad + kh
						if iy < 0 || iy >= g.H {
							continue
						}
						in := row[(n*ho+oy)*wo+x0 : (n*ho+oy)*wo+x1]
						d := dplane[iy*g.W : (iy+1)*g.W]
						s := splane[iy*g.W : (iy+1)*g.W]
						if g.Stride == 1 {
							d = d[x0+off : x1+off]
							s = s[x0+off : x1+off]
							d, s = d[:len(in)], s[:len(in)]
							if g.ReLU {
								for i, v := range in {
									d[i] += math.Float32frombits(math.Float32bits(v) &^ notPositive(s[i]))
								}
							} else {
								for i, v := range in {
									d[i] += v
								}
							}
							continue
						}
						for i, v := range in {
							ix := (x0+i)*g.Stride + off
							if !g.ReLU || s[ix] > 0 {
								d[ix] += v
							}
						}
					}
				}
			}
		}
	}
}

// same is Do for stride 1 and "same" padding, the mirror of
// im2colTask.same (gemm.Col2imSame): the entries of a column-matrix row
// that wrap around a row edge are cleared (the matrix is scratch), then
// the row is added to the shifted plane in one contiguous run. The blocked
// convolution calls it without a ReLU and masks the sums itself.
func (t *col2imTask) same(lo, hi int) {
	g := t.g
	p := g.N * g.H * g.W
	kk := g.K * g.K
	for ci := lo; ci < hi; ci++ {
		gemm.Col2imSame(t.dsrc[ci*p:(ci+1)*p], t.col[ci*kk*p:(ci+1)*kk*p], g.N, g.H, g.W, g.K, g.Pad)
	}
}

type rowSumTask struct {
	dst, src []float32
	p        int
}

func (t *rowSumTask) set(dst, src []float32, p int) { *t = rowSumTask{dst, src, p} }

func (t *rowSumTask) Do(lo, hi int) {
	for r := lo; r < hi; r++ {
		t.dst[r] += float32(gemm.Sum64(t.src[r*t.p : (r+1)*t.p]))
	}
}

type bnTask struct {
	x, mean, invstd []float32
	p               int
}

func (t *bnTask) Do(lo, hi int) {
	for c := lo; c < hi; c++ {
		row := t.x[c*t.p : (c+1)*t.p]
		m := gemm.Sum64(row) / float64(t.p)
		is := 1 / math.Sqrt(gemm.SqDev64(row, m)/float64(t.p)+Eps)
		t.mean[c], t.invstd[c] = float32(m), float32(is)
		gemm.Normalize(row, float32(m), float32(is))
	}
}

type bnBackTask struct {
	dx, dy, xhat, invstd []float32
	p                    int
}

func (t *bnBackTask) Do(lo, hi int) {
	for c := lo; c < hi; c++ {
		dy := t.dy[c*t.p : (c+1)*t.p]
		xh := t.xhat[c*t.p : (c+1)*t.p]
		sdy, sdyx := gemm.Dot64(dy, xh)
		gemm.BNGrad(t.dx[c*t.p:(c+1)*t.p], dy, xh, t.invstd[c], float32(sdy/float64(t.p)), float32(sdyx/float64(t.p)))
	}
}

// pool3Task adds the 3x3 average (padding not counted) of planes [lo, hi).
type pool3Task struct {
	dst, src []float32
	h, w     int
}

func (t *pool3Task) Do(lo, hi int) {
	h, w := t.h, t.w
	if w > maxPoolW {
		t.slow(lo, hi)
		return
	}
	var cs [maxPoolW + 2]float32 // column sums, zero at both ends
	for pl := lo; pl < hi; pl++ {
		s := t.src[pl*h*w : (pl+1)*h*w]
		d := t.dst[pl*h*w : (pl+1)*h*w]
		for y := 0; y < h; y++ {
			y0, y1 := max(y-1, 0), min(y+1, h-1)
			colSums(cs[1:w+1], s, w, y0, y1)
			ry := y1 - y0 + 1
			row := d[y*w : (y+1)*w]
			for x := range row {
				cx := 3
				if x == 0 || x == w-1 {
					cx = min(w, 2)
				}
				row[x] += (cs[x] + cs[x+1] + cs[x+2]) / float32(ry*cx)
			}
		}
	}
}

// maxPoolW is the widest plane the 3x3 pools handle with column sums on
// the stack; wider ones take the direct loops.
const maxPoolW = gemm.MaxPoolW

// colSums sets cs[x] to the sum of rows [y0, y1] of column x of the
// plane s (width w).
func colSums(cs, s []float32, w, y0, y1 int) {
	copy(cs, s[y0*w:y0*w+w])
	for y := y0 + 1; y <= y1; y++ {
		addTo(cs, s[y*w:y*w+w])
	}
}

// slow is Do for planes wider than maxPoolW.
func (t *pool3Task) slow(lo, hi int) {
	h, w := t.h, t.w
	for pl := lo; pl < hi; pl++ {
		s := t.src[pl*h*w : (pl+1)*h*w]
		d := t.dst[pl*h*w : (pl+1)*h*w]
		for y := 0; y < h; y++ {
			y0, y1 := max(y-1, 0), min(y+1, h-1)
			for x := 0; x < w; x++ {
				x0, x1 := max(x-1, 0), min(x+1, w-1)
				var sum float32
				for yy := y0; yy <= y1; yy++ {
					for xx := x0; xx <= x1; xx++ {
						sum += s[yy*w+xx]
					}
				}
				d[y*w+x] += sum / float32((y1-y0+1)*(x1-x0+1))
			}
		}
	}
}

type pool3BackTask struct {
	dsrc, ddst []float32
	h, w       int
}

// Do spreads each output gradient, divided by its window's size, over
// its window (gemm.AvgPool3Backward: column sums, a simd128 kernel in the
// browser).
func (t *pool3BackTask) Do(lo, hi int) {
	h, w := t.h, t.w
	if w > maxPoolW {
		t.slow(lo, hi)
		return
	}
	gemm.AvgPool3Backward(t.dsrc[lo*h*w:hi*h*w], t.ddst[lo*h*w:hi*h*w], hi-lo, h, w)
}

// slow is Do for planes wider than maxPoolW.
func (t *pool3BackTask) slow(lo, hi int) {
	h, w := t.h, t.w
	for pl := lo; pl < hi; pl++ {
		ds := t.dsrc[pl*h*w : (pl+1)*h*w]
		dd := t.ddst[pl*h*w : (pl+1)*h*w]
		for y := 0; y < h; y++ {
			y0, y1 := max(y-1, 0), min(y+1, h-1)
			for x := 0; x < w; x++ {
				x0, x1 := max(x-1, 0), min(x+1, w-1)
				g := dd[y*w+x] / float32((y1-y0+1)*(x1-x0+1))
				for yy := y0; yy <= y1; yy++ {
					for xx := x0; xx <= x1; xx++ {
						ds[yy*w+xx] += g
					}
				}
			}
		}
	}
}

// pool2Task is a 2x2 stride-2 average pool; odd trailing rows and columns
// are dropped, as in PyTorch.
type pool2Task struct {
	dst, src []float32
	h, w     int
}

func (t *pool2Task) Do(lo, hi int) {
	h, w := t.h, t.w
	oh, ow := h/2, w/2
	for pl := lo; pl < hi; pl++ {
		s := t.src[pl*h*w : (pl+1)*h*w]
		d := t.dst[pl*oh*ow : (pl+1)*oh*ow]
		for y := 0; y < oh; y++ {
			r0 := s[2*y*w : 2*y*w+w]
			r1 := s[(2*y+1)*w : (2*y+1)*w+w]
			for x := 0; x < ow; x++ {
				d[y*ow+x] = 0.25 * (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1])
			}
		}
	}
}

type pool2BackTask struct {
	dsrc, ddst []float32
	h, w       int
}

func (t *pool2BackTask) Do(lo, hi int) {
	h, w := t.h, t.w
	oh, ow := h/2, w/2
	for pl := lo; pl < hi; pl++ {
		ds := t.dsrc[pl*h*w : (pl+1)*h*w]
		dd := t.ddst[pl*oh*ow : (pl+1)*oh*ow]
		for y := 0; y < oh; y++ {
			r0 := ds[2*y*w : 2*y*w+w]
			r1 := ds[(2*y+1)*w : (2*y+1)*w+w]
			for x := 0; x < ow; x++ {
				g := 0.25 * dd[y*ow+x]
				r0[2*x] += g
				r0[2*x+1] += g
				r1[2*x] += g
				r1[2*x+1] += g
			}
		}
	}
}

type reluMeanTask struct {
	dst, src []float32
	hw       int
}

func (t *reluMeanTask) Do(lo, hi int) {
	for r := lo; r < hi; r++ {
		var s float64
		for _, v := range t.src[r*t.hw : (r+1)*t.hw] {
			if v > 0 {
				s += float64(v)
			}
		}
		t.dst[r] = float32(s / float64(t.hw))
	}
}

type reluMeanBackTask struct {
	dsrc, ddst, src []float32
	hw              int
}

func (t *reluMeanBackTask) Do(lo, hi int) {
	for r := lo; r < hi; r++ {
		g := t.ddst[r] / float32(t.hw)
		src := t.src[r*t.hw : (r+1)*t.hw]
		d := t.dsrc[r*t.hw : (r+1)*t.hw]
		d = d[:len(src)]
		for i, v := range src {
			if v > 0 {
				d[i] = g
			} else {
				d[i] = 0
			}
		}
	}
}
