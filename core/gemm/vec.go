package gemm

import "math"

// The elementwise and reduction kernels of a training step that nn runs
// outside the products: ReLU and its gradient mask, sums, BatchNorm's
// statistics, normalisation and gradient. They live beside the products
// because in the browser they run on the same simd128 kernel module
// (vec_js.go); natively, and in a browser without simd128, they are the Go
// loops below, which the module's kernels match bit for bit (the same
// order of operations, the same partial sums). Slices may be of any
// length, including 0; the second operand must be at least as long as the
// first.

// ReLU sets x = max(x, 0), with -0 and negative NaNs to +0 (branch-free:
// see notPositive).
func ReLU(x []float32) {
	if len(x) >= vecMin {
		vecReLU(x)
		return
	}
	reluGo(x)
}

// MaskPositive sets x = 0 where m <= 0 (or -0), the gradient through a
// ReLU whose output was m.
func MaskPositive(x, m []float32) {
	m = m[:len(x)]
	if len(x) >= vecMin {
		vecMask(x, m)
		return
	}
	maskGo(x, m)
}

// AddTo sets dst += src.
func AddTo(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) >= vecMin {
		vecAdd(dst, src)
		return
	}
	addGo(dst, src)
}

// AddConst sets x += c.
func AddConst(x []float32, c float32) {
	if len(x) >= vecMin {
		vecAddConst(x, c)
		return
	}
	addConstGo(x, c)
}

// Normalize sets x = (x - m) * is.
func Normalize(x []float32, m, is float32) {
	if len(x) >= vecMin {
		vecNormalize(x, m, is)
		return
	}
	normalizeGo(x, m, is)
}

// BNGrad sets dx = is * (dy - mdy - xh*mdyx), BatchNorm's input gradient
// from its output gradient dy and normalised output xh.
func BNGrad(dx, dy, xh []float32, is, mdy, mdyx float32) {
	dx, xh = dx[:len(dy)], xh[:len(dy)]
	if len(dy) >= vecMin {
		vecBNGrad(dx, dy, xh, is, mdy, mdyx)
		return
	}
	bnGradGo(dx, dy, xh, is, mdy, mdyx)
}

// Sum64 is the sum of x in float64, over four interleaved partial sums so
// that the additions do not wait on each other: element i goes into
// partial i%4, the last len%4 into the first, and the result is
// (s0 + s1) + (s2 + s3).
func Sum64(x []float32) float64 {
	if len(x) >= vecMin {
		return vecSum64(x)
	}
	return sum64Go(x)
}

// SqDev64 is the sum of (x - m)² in float64, like Sum64.
func SqDev64(x []float32, m float64) float64 {
	if len(x) >= vecMin {
		return vecSqDev64(x, m)
	}
	return sqDev64Go(x, m)
}

// Dot64 returns the sums of x and of x·y in float64, each over two
// interleaved partial sums (pairs of elements in turn, an odd last one
// into the first).
func Dot64(x, y []float32) (sx, sxy float64) {
	y = y[:len(x)]
	if len(x) >= vecMin {
		return vecDot64(x, y)
	}
	return dot64Go(x, y)
}

// vecMin is the shortest slice worth a call into the kernel module: a
// call costs about as much as a dozen elements of the Go loops.
const vecMin = 16

// notPositive is all ones when x <= 0 (or -0) and zero when x > 0: the
// bits as an int32 are <= 0. A branch would be mispredicted about half
// the time on activations.
func notPositive(x float32) uint32 {
	b := int32(math.Float32bits(x))
	// b>>31 catches the sign bit (negatives, -0); (b-1)>>31 catches +0.
	return uint32(b>>31 | (b-1)>>31)
}

func reluGo(x []float32) {
	for i, v := range x {
		x[i] = math.Float32frombits(math.Float32bits(v) &^ notPositive(v))
	}
}

func maskGo(x, m []float32) {
	m = m[:len(x)]
	for i, v := range x {
		x[i] = math.Float32frombits(math.Float32bits(v) &^ notPositive(m[i]))
	}
}

func addGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

func addConstGo(x []float32, c float32) {
	for i := range x {
		x[i] += c
	}
}

func normalizeGo(x []float32, m, is float32) {
	for i, v := range x {
		x[i] = (v - m) * is
	}
}

func bnGradGo(dx, dy, xh []float32, is, mdy, mdyx float32) {
	dx, xh = dx[:len(dy)], xh[:len(dy)]
	for i, v := range dy {
		dx[i] = is * (v - mdy - xh[i]*mdyx)
	}
}

func sum64Go(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func sqDev64Go(x []float32, m float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-m, float64(v[1])-m, float64(v[2])-m, float64(v[3])-m
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - m
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

func dot64Go(x, y []float32) (sx, sxy float64) {
	y = y[:len(x)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		v, w := x[i:i+2:i+2], y[i:i+2:i+2]
		a0 += float64(v[0])
		a1 += float64(v[1])
		b0 += float64(v[0]) * float64(w[0])
		b1 += float64(v[1]) * float64(w[1])
	}
	for ; i < len(x); i++ {
		a0 += float64(x[i])
		b0 += float64(x[i]) * float64(y[i])
	}
	return a0 + a1, b0 + b1
}
