package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The gradient checks below treat every kernel as a function of its inputs
// and parameters, project its output on a fixed random tensor R (loss =
// sum(out * R)), and compare the analytic gradient with central differences.

func randVec(r *rand.Rand, n int, awayFromZero bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		x := r.NormFloat64()
		// A value near 0 sits on ReLU's kink, where a finite difference
		// straddles two slopes.
		if awayFromZero && math.Abs(x) < 0.05 {
			x += math.Copysign(0.1, x)
		}
		v[i] = float32(x)
	}
	return v
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// checkGrad compares grad (analytic d loss / d x) with central differences
// of loss() at a sample of x's entries.
func checkGrad(t *testing.T, what string, x, grad []float32, loss func() float64) {
	t.Helper()
	const eps = 1e-2
	r := rand.New(rand.NewPCG(1, 2))
	idx := r.Perm(len(x))
	if len(idx) > 40 {
		idx = idx[:40]
	}
	for _, i := range idx {
		old := x[i]
		x[i] = old + eps
		lp := loss()
		x[i] = old - eps
		lm := loss()
		x[i] = old
		num := (lp - lm) / (2 * eps)
		if d := math.Abs(num - float64(grad[i])); d > 2e-3+1e-2*math.Abs(num) {
			t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", what, i, grad[i], num)
			return
		}
	}
}

func TestConvGradients(t *testing.T) {
	cases := []ConvGeom{
		{Cin: 2, Cout: 3, N: 2, H: 5, W: 4, K: 3, Stride: 1, Pad: 1, ReLU: true},
		{Cin: 3, Cout: 2, N: 2, H: 6, W: 6, K: 3, Stride: 2, Pad: 1, ReLU: true},
		{Cin: 2, Cout: 4, N: 3, H: 3, W: 5, K: 1, Stride: 1, Pad: 0, ReLU: true},
		{Cin: 3, Cout: 2, N: 2, H: 4, W: 4, K: 1, Stride: 1, Pad: 0},
		{Cin: 1, Cout: 2, N: 2, H: 4, W: 4, K: 3, Stride: 1, Pad: 1},
	}
	for _, threads := range []int{1, 2} {
		for _, g := range cases {
			t.Run(fmt.Sprintf("t%d/%+v", threads, g), func(t *testing.T) {
				b := NewCPU(threads)
				defer b.Close()
				r := rand.New(rand.NewPCG(3, 4))
				x := randVec(r, g.InLen(), true)
				w := randVec(r, g.WeightLen(), false)
				bias := randVec(r, g.Cout, false)
				R := randVec(r, g.OutLen(), false)
				out := make([]float32, g.OutLen())
				loss := func() float64 { b.Conv(out, x, w, bias, g); return dot(out, R) }
				dx := make([]float32, len(x))
				dw := make([]float32, len(w))
				db := make([]float32, len(bias))
				b.ConvBackward(dx, dw, db, R, x, w, g)
				checkGrad(t, "dx", x, dx, loss)
				checkGrad(t, "dw", w, dw, loss)
				checkGrad(t, "db", bias, db, loss)
				// Backward accumulates: a second call doubles every gradient.
				dw2 := append([]float32(nil), dw...)
				b.ConvBackward(dx, dw2, nil, R, x, w, g)
				for i := range dw {
					if math.Abs(float64(dw2[i]-2*dw[i])) > 1e-5*(1+math.Abs(float64(dw[i]))) {
						t.Fatalf("dw[%d] after two calls = %v, want %v", i, dw2[i], 2*dw[i])
					}
				}
			})
		}
	}
}

// TestConvAgainstDirect compares Conv with the textbook sum, for the
// geometries that take different im2col paths (strided, "same" padding
// with and without ReLU, pointwise, wider kernels, one-pixel images).
func TestConvAgainstDirect(t *testing.T) {
	for i, g := range []ConvGeom{
		{Cin: 3, Cout: 2, N: 2, H: 5, W: 6, K: 3, Stride: 2, Pad: 1, ReLU: true},
		{Cin: 3, Cout: 2, N: 3, H: 5, W: 6, K: 3, Stride: 1, Pad: 1, ReLU: true},
		{Cin: 2, Cout: 3, N: 2, H: 4, W: 7, K: 3, Stride: 1, Pad: 1},
		{Cin: 2, Cout: 2, N: 2, H: 6, W: 5, K: 5, Stride: 1, Pad: 2, ReLU: true},
		{Cin: 2, Cout: 2, N: 2, H: 3, W: 3, K: 1, Stride: 1, Pad: 0, ReLU: true},
		{Cin: 2, Cout: 2, N: 2, H: 1, W: 1, K: 3, Stride: 1, Pad: 1, ReLU: true},
		{Cin: 2, Cout: 2, N: 2, H: 2, W: 3, K: 5, Stride: 1, Pad: 2},
	} {
		r := rand.New(rand.NewPCG(5, uint64(i)))
		x := randVec(r, g.InLen(), false)
		w := randVec(r, g.WeightLen(), false)
		bias := randVec(r, g.Cout, false)
		out := make([]float32, g.OutLen())
		b := NewCPU(1)
		b.Conv(out, x, w, bias, g)
		ho, wo := g.OutH(), g.OutW()
		for co := 0; co < g.Cout; co++ {
			for n := 0; n < g.N; n++ {
				for oy := 0; oy < ho; oy++ {
					for ox := 0; ox < wo; ox++ {
						s := float64(bias[co])
						for ci := 0; ci < g.Cin; ci++ {
							for kh := 0; kh < g.K; kh++ {
								for kw := 0; kw < g.K; kw++ {
									iy, ix := oy*g.Stride-g.Pad+kh, ox*g.Stride-g.Pad+kw
									if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
										continue
									}
									v := float64(x[((ci*g.N+n)*g.H+iy)*g.W+ix])
									if g.ReLU {
										v = max(v, 0)
									}
									s += v * float64(w[((co*g.Cin+ci)*g.K+kh)*g.K+kw])
								}
							}
						}
						got := out[((co*g.N+n)*ho+oy)*wo+ox]
						if math.Abs(float64(got)-s) > 1e-5 {
							t.Fatalf("%+v: out[%d,%d,%d,%d] = %v, want %v", g, co, n, oy, ox, got, s)
						}
					}
				}
			}
		}
	}
}

func TestBatchNormGradients(t *testing.T) {
	b := NewCPU(2)
	defer b.Close()
	const c, p = 3, 17
	r := rand.New(rand.NewPCG(7, 8))
	x := randVec(r, c*p, false)
	R := randVec(r, c*p, false)
	y := make([]float32, c*p)
	mean, inv := make([]float32, c), make([]float32, c)
	loss := func() float64 { copy(y, x); b.BatchNorm(y, mean, inv, c, p); return dot(y, R) }
	loss()
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for _, v := range y[ch*p : (ch+1)*p] {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
		if math.Abs(s/p) > 1e-5 || math.Abs(ss/p-1) > 1e-3 {
			t.Fatalf("channel %d: mean %v, variance %v after BatchNorm", ch, s/p, ss/p)
		}
	}
	dx := make([]float32, c*p)
	b.BatchNormBackward(dx, R, y, inv, c, p)
	checkGrad(t, "dx", x, dx, loss)
}

func TestPoolGradients(t *testing.T) {
	b := NewCPU(2)
	defer b.Close()
	r := rand.New(rand.NewPCG(9, 10))
	for _, sz := range [][3]int{{3, 4, 5}, {2, 1, 1}, {4, 6, 6}, {1, 2, 2}} {
		planes, h, w := sz[0], sz[1], sz[2]
		x := randVec(r, planes*h*w, false)
		R3 := randVec(r, planes*h*w, false)
		out := make([]float32, planes*h*w)
		loss3 := func() float64 { clear(out); b.AvgPool3Add(out, x, planes, h, w); return dot(out, R3) }
		dx := make([]float32, len(x))
		b.AvgPool3Backward(dx, R3, planes, h, w)
		checkGrad(t, fmt.Sprintf("pool3 %v dx", sz), x, dx, loss3)

		oh, ow := h/2, w/2
		if oh == 0 || ow == 0 {
			continue
		}
		R2 := randVec(r, planes*oh*ow, false)
		out2 := make([]float32, planes*oh*ow)
		loss2 := func() float64 { b.AvgPool2(out2, x, planes, h, w); return dot(out2, R2) }
		dx2 := make([]float32, len(x))
		b.AvgPool2Backward(dx2, R2, planes, h, w)
		checkGrad(t, fmt.Sprintf("pool2 %v dx", sz), x, dx2, loss2)
	}
}

// TestAvgPool3Border checks count_include_pad=False by hand: a corner of a
// 2x2 plane averages all 4 values, not 4/9 of them.
func TestAvgPool3Border(t *testing.T) {
	out := make([]float32, 4)
	NewCPU(1).AvgPool3Add(out, []float32{1, 2, 3, 4}, 1, 2, 2)
	for i, v := range out {
		if v != 2.5 {
			t.Fatalf("out[%d] = %v, want 2.5", i, v)
		}
	}
}

func TestHeadGradients(t *testing.T) {
	b := NewCPU(1)
	const c, n, hw, k = 3, 4, 5, 6
	r := rand.New(rand.NewPCG(11, 12))
	x := randVec(r, c*n*hw, true)
	w := randVec(r, k*c, false)
	bias := randVec(r, k, false)
	labels := []int32{0, 5, 2, 2}
	weight := []float32{1, 0.5, 2, 1}
	feat := make([]float32, c*n)
	logits := make([]float32, n*k)
	probs := make([]float32, n*k)
	dlogits := make([]float32, n*k)
	loss := func() float64 {
		b.ReLUMean(feat, x, c*n, hw)
		b.Linear(logits, feat, w, bias, n, c, k)
		l, _ := b.SoftmaxCrossEntropy(probs, dlogits, logits, labels, weight, n, k)
		return l
	}
	loss()
	dfeat := make([]float32, c*n)
	dw := make([]float32, len(w))
	db := make([]float32, k)
	b.LinearBackward(dfeat, dw, db, dlogits, feat, w, n, c, k)
	dx := make([]float32, len(x))
	b.ReLUMeanBackward(dx, dfeat, x, c*n, hw)
	checkGrad(t, "dx", x, dx, loss)
	checkGrad(t, "dw", w, dw, loss)
	checkGrad(t, "db", bias, db, loss)
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	// Two rows of 3 logits; the loss by hand is mean(lse - logit_y).
	logits := []float32{1, 2, 3, 0, 0, 0}
	labels := []int32{2, 1}
	probs, dl := make([]float32, 6), make([]float32, 6)
	loss, correct := NewCPU(1).SoftmaxCrossEntropy(probs, dl, logits, labels, nil, 2, 3)
	lse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	want := ((lse - 3) + math.Log(3)) / 2
	if math.Abs(loss-want) > 1e-6 || correct != 1 {
		t.Fatalf("loss %v correct %d, want %v and 1", loss, correct, want)
	}
}

func TestToCNHW(t *testing.T) {
	src := []float32{0, 1, 2, 3, 4, 5, 6, 7} // n=2, c=2, hw=2
	dst := make([]float32, 8)
	NewCPU(1).ToCNHW(dst, src, 2, 2, 2)
	want := []float32{0, 1, 4, 5, 2, 3, 6, 7}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("dst = %v, want %v", dst, want)
		}
	}
}

func TestConvGeomValidate(t *testing.T) {
	bad := []ConvGeom{
		{Cin: 0, Cout: 1, N: 1, H: 4, W: 4, K: 3, Stride: 1, Pad: 1},
		{Cin: 1, Cout: 1, N: 1, H: 1, W: 1, K: 3, Stride: 1, Pad: 0},
		{Cin: 1, Cout: 1, N: 1, H: 4, W: 4, K: 3, Stride: 0, Pad: 1},
	}
	for _, g := range bad {
		if g.Validate() == nil {
			t.Errorf("%+v: no error", g)
		}
	}
	if err := (ConvGeom{Cin: 1, Cout: 1, N: 1, H: 1, W: 1, K: 3, Stride: 1, Pad: 1}).Validate(); err != nil {
		t.Errorf("1x1 input with padding 1: %v", err)
	}
}

func TestRelu(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{{1.5, 1.5}, {-2, 0}, {0, 0}, {float32(math.Copysign(0, -1)), 0}, {1e-30, 1e-30}, {-1e-30, 0}} {
		if got := relu(c.in); got != c.want || math.Signbit(float64(got)) {
			t.Errorf("relu(%v) = %v, want %v", c.in, got, c.want)
		}
		if pos := notPositive(c.in) == 0; pos != (c.in > 0) {
			t.Errorf("notPositive(%v) = %x", c.in, notPositive(c.in))
		}
	}
}

// TestPool3ColumnSums checks the 3x3 pools' column-sum loops against the
// direct loops they replace (used for planes wider than maxPoolW).
func TestPool3ColumnSums(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][2]int{{1, 1}, {1, 5}, {5, 1}, {2, 2}, {7, 9}, {16, 16}, {3, maxPoolW}} {
		h, w := s[0], s[1]
		src := randVec(r, 3*h*w, false)
		base := randVec(r, 3*h*w, false)
		fast, slow := append([]float32(nil), base...), append([]float32(nil), base...)
		f := pool3Task{dst: fast, src: src, h: h, w: w}
		f.Do(0, 3)
		sl := pool3Task{dst: slow, src: src, h: h, w: w}
		sl.slow(0, 3)
		fastB, slowB := append([]float32(nil), base...), append([]float32(nil), base...)
		fb := pool3BackTask{dsrc: fastB, ddst: src, h: h, w: w}
		fb.Do(0, 3)
		sb := pool3BackTask{dsrc: slowB, ddst: src, h: h, w: w}
		sb.slow(0, 3)
		for i := range fast {
			if math.Abs(float64(fast[i]-slow[i])) > 1e-6*(1+math.Abs(float64(slow[i]))) {
				t.Fatalf("%dx%d: pool[%d] = %v, direct loops give %v", h, w, i, fast[i], slow[i])
			}
			if math.Abs(float64(fastB[i]-slowB[i])) > 1e-6*(1+math.Abs(float64(slowB[i]))) {
				t.Fatalf("%dx%d: pool gradient[%d] = %v, direct loops give %v", h, w, i, fastB[i], slowB[i])
			}
		}
	}
}

// TestAddZero checks Add and Zero, which split long buffers over the
// workers, around the chunk sizes.
func TestAddZero(t *testing.T) {
	b := NewCPU(2)
	defer b.Close()
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{0, 1, 17, spanChunk, 4*spanChunk - 1, 4 * spanChunk, 9*spanChunk + 5} {
		dst, src := randVec(r, n+3, false), randVec(r, n, false)
		want := append([]float32(nil), dst...)
		for i, v := range src {
			want[i] += v
		}
		b.Add(dst, src)
		for i := range want {
			if dst[i] != want[i] {
				t.Fatalf("n=%d: Add gives dst[%d] = %v, want %v", n, i, dst[i], want[i])
			}
		}
		b.Zero(dst[:n])
		for i, v := range dst {
			if w := float32(0); i >= n {
				w = want[i]
				if v != w {
					t.Fatalf("n=%d: Zero changed dst[%d] past the slice", n, i)
				}
			} else if v != 0 {
				t.Fatalf("n=%d: Zero left dst[%d] = %v", n, i, v)
			}
		}
	}
}
