// Package nn holds the layers of the supernet as forward/backward pairs over
// flat []float32 buffers, behind one small Backend interface so that another
// implementation (CUDA) can replace the CPU one.
//
// Activations are stored channel-major, "CNHW": channel c of image n at
// (y, x) is at ((c*N+n)*H+y)*W+x. With that layout a convolution over the
// whole batch is one matrix product, W[Cout, Cin*K*K] x col[Cin*K*K, N*Ho*Wo],
// and BatchNorm statistics are reductions over contiguous rows. Weights use
// PyTorch's layouts ([Cout, Cin, K, K] for convolutions, [Out, In] for
// linear layers) so that they can be exchanged with it unchanged.
//
// Every Backward accumulates into parameter gradients (dw, db), as PyTorch
// does, so that gradients of several paths can be summed. Whether it
// accumulates into the input gradient is stated per method.
package nn

import "fmt"

// Eps is BatchNorm's variance epsilon (PyTorch's default).
const Eps = 1e-5

// ConvGeom describes a 2-D convolution over a CNHW batch.
type ConvGeom struct {
	Cin, Cout int
	N, H, W   int // batch and input height, width
	K         int // square kernel size
	Stride    int
	Pad       int
	ReLU      bool // apply ReLU to the input first (ReLU -> Conv)
}

// OutH is the output height.
func (g ConvGeom) OutH() int { return (g.H+2*g.Pad-g.K)/g.Stride + 1 }

// OutW is the output width.
func (g ConvGeom) OutW() int { return (g.W+2*g.Pad-g.K)/g.Stride + 1 }

// InLen is the length of the input buffer.
func (g ConvGeom) InLen() int { return g.Cin * g.N * g.H * g.W }

// OutLen is the length of the output buffer.
func (g ConvGeom) OutLen() int { return g.Cout * g.N * g.OutH() * g.OutW() }

// WeightLen is the length of the weight tensor [Cout, Cin, K, K].
func (g ConvGeom) WeightLen() int { return g.Cout * g.Cin * g.K * g.K }

// ColLen is the scratch an im2col of this convolution needs.
func (g ConvGeom) ColLen() int { return g.Cin * g.K * g.K * g.N * g.OutH() * g.OutW() }

// Validate reports a geometry that cannot be computed.
func (g ConvGeom) Validate() error {
	switch {
	case g.Cin < 1 || g.Cout < 1 || g.N < 1:
		return fmt.Errorf("conv: channels and batch must be positive (Cin=%d Cout=%d N=%d)", g.Cin, g.Cout, g.N)
	case g.K < 1 || g.Stride < 1 || g.Pad < 0:
		return fmt.Errorf("conv: bad kernel %d, stride %d or padding %d", g.K, g.Stride, g.Pad)
	case g.H+2*g.Pad < g.K || g.W+2*g.Pad < g.K:
		return fmt.Errorf("conv: input %dx%d (padding %d) is smaller than the %dx%d kernel", g.H, g.W, g.Pad, g.K, g.K)
	}
	return nil
}

// Backend is every computation the supernet needs. All buffers are CNHW
// unless stated. Implementations may use internal scratch, so a Backend is
// not safe for concurrent use.
type Backend interface {
	// ToCNHW writes src, laid out [N, C, HW], to dst as [C, N, HW].
	ToCNHW(dst, src []float32, n, c, hw int)

	// Conv sets dst[Cout, N, Ho, Wo] = w * (ReLU?)src + b. b may be nil.
	Conv(dst, src, w, b []float32, g ConvGeom)
	// ConvBackward adds to dw (and db unless nil) the gradient for dy and,
	// unless dsrc is nil, adds the input gradient to dsrc (masked by the
	// input ReLU when g.ReLU).
	ConvBackward(dsrc, dw, db, dy, src, w []float32, g ConvGeom)

	// BatchNorm normalises x[c, p] in place over each row with the biased
	// batch variance, and stores each row's mean and 1/sqrt(var+Eps).
	BatchNorm(x, mean, invstd []float32, c, p int)
	// BatchNormBackward sets dx = the input gradient of BatchNorm, given the
	// normalised output xhat and the output gradient dy.
	BatchNormBackward(dx, dy, xhat, invstd []float32, c, p int)

	// AvgPool3Add adds to dst the 3x3, stride 1, padding 1 average pool of
	// src (count_include_pad=False); src and dst are [C*N, H, W].
	AvgPool3Add(dst, src []float32, planes, h, w int)
	// AvgPool3Backward adds to dsrc the input gradient for ddst.
	AvgPool3Backward(dsrc, ddst []float32, planes, h, w int)
	// AvgPool2 sets dst[planes, h/2, w/2] to the 2x2 stride-2 average pool.
	AvgPool2(dst, src []float32, planes, h, w int)
	// AvgPool2Backward adds to dsrc the input gradient for ddst.
	AvgPool2Backward(dsrc, ddst []float32, planes, h, w int)

	// Add sets dst += src.
	Add(dst, src []float32)
	// Zero sets x to 0.
	Zero(x []float32)

	// ReLUMean sets dst[c, n] to the mean over hw of max(0, src[c, n, hw]).
	ReLUMean(dst, src []float32, cn, hw int)
	// ReLUMeanBackward sets dsrc[c, n, hw] = [src > 0] * ddst[c, n] / hw.
	ReLUMeanBackward(dsrc, ddst, src []float32, cn, hw int)

	// Linear sets out[n, k] = sum_c in[c, n] w[k, c] + b[k].
	Linear(out, in, w, b []float32, n, c, k int)
	// LinearBackward adds to dw, db and sets din[c, n].
	LinearBackward(din, dw, db, dout, in, w []float32, n, c, k int)

	// SoftmaxCrossEntropy writes the softmax of logits[n, k] to probs and
	// the gradient of the loss (1/n) sum_i weight_i * CE_i to dlogits, and
	// returns that loss and the number of rows whose argmax equals the
	// label. weight may be nil (all 1). A label outside [0, k) is a
	// programming error.
	SoftmaxCrossEntropy(probs, dlogits, logits []float32, labels []int32, weight []float32, n, k int) (loss float64, correct int)
}
