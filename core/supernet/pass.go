package supernet

import (
	"fmt"

	"pada/core/nn"
	"pada/core/space"
)

func (m *Net) conv(dst, src []float32, w, b int, cin, cout, n, h, wd, k, stride int, relu bool) nn.ConvGeom {
	g := nn.ConvGeom{Cin: cin, Cout: cout, N: n, H: h, W: wd, K: k, Stride: stride, Pad: k / 2, ReLU: relu}
	var bias []float32
	if b >= 0 {
		bias = m.Param(b)
	}
	m.be.Conv(dst[:g.OutLen()], src[:g.InLen()], m.Param(w), bias, g)
	return g
}

func (m *Net) convBack(dsrc, dy, src []float32, w, b int, g nn.ConvGeom) {
	var db []float32
	if b >= 0 {
		db = m.Grad(b)
		m.touched[b] = true
	}
	m.touched[w] = true
	if dsrc != nil {
		dsrc = dsrc[:g.InLen()]
	}
	m.be.ConvBackward(dsrc, m.Grad(w), db, dy[:g.OutLen()], src[:g.InLen()], m.Param(w), g)
}

// Forward runs a batch of n images x (NCHW, n <= Shape.Batch) through
// architecture a and returns the logits [n, classes]. BatchNorm uses the
// batch statistics, in training and in evaluation alike. The returned
// slice is reused by the next call.
func (m *Net) Forward(x []float32, n int, a space.Arch) []float32 {
	s := m.shape
	if n < 1 || n > s.Batch {
		panic(fmt.Sprintf("supernet: batch %d outside [1, %d]", n, s.Batch))
	}
	if err := m.sp.Check(a); err != nil {
		panic(fmt.Sprintf("supernet: %v", err))
	}
	hw := s.H * s.W
	if len(x) < n*s.InC*hw {
		panic(fmt.Sprintf("supernet: input has %d values, batch %d needs %d", len(x), n, n*s.InC*hw))
	}
	m.n, m.arch, m.loss = n, a, false
	m.be.ToCNHW(m.x0, x, n, s.InC, hw)
	m.conv(m.stem, m.x0, m.stemW, -1, s.InC, s.C, n, s.H, s.W, 3, 1, false)
	m.be.BatchNorm(m.stem[:s.C*n*hw], m.stemMean, m.stemInv, s.C, n*hw)
	feature := m.stem
	for i := range m.layers {
		l := &m.layers[i]
		if l.reduce {
			feature = m.resForward(l, feature)
		} else {
			feature = m.cellForward(l, feature, a)
		}
	}
	last := &m.layers[len(m.layers)-1]
	p := n * last.h * last.w
	head := m.head[:last.c*p]
	copy(head, feature[:last.c*p])
	m.be.BatchNorm(head, m.headMean, m.headInv, last.c, p)
	m.be.ReLUMean(m.feat, head, last.c*n, last.h*last.w)
	logits := m.logits[:n*s.Classes]
	m.be.Linear(logits, m.feat, m.Param(m.fcW), m.Param(m.fcB), n, last.c, s.Classes)
	return logits
}

func (m *Net) cellForward(l *layer, in []float32, a space.Arch) []float32 {
	n := m.n
	hw := l.h * l.w
	size := l.c * n * hw
	l.node[0] = in
	last := len(l.node) - 1
	for i := 1; i <= last; i++ {
		node := l.node[i][:size]
		m.be.Zero(node)
		for e := range m.sp.NumEdges() {
			edge := m.sp.Edge(e)
			if edge.To != i {
				continue
			}
			src := l.node[edge.From][:size]
			op := a[e]
			switch m.sp.Op(op).Kind {
			case space.Zero:
			case space.Identity:
				m.be.Add(node, src)
			case space.AvgPool:
				m.be.AvgPool3Add(node, src, l.c*n, l.h, l.w)
			default:
				out := l.edge[e][:size]
				m.conv(out, src, l.cell.w[e][op], l.cell.b[e][op], l.c, l.c, n, l.h, l.w, m.kernel(op), 1, true)
				m.be.BatchNorm(out, l.mean[e], l.invstd[e], l.c, n*hw)
				m.be.Add(node, out)
			}
		}
	}
	return l.node[last]
}

func (m *Net) resForward(l *layer, in []float32) []float32 {
	n := m.n
	oh, ow := l.h/2, l.w/2
	p := n * oh * ow
	l.in = in
	m.conv(l.a, in, l.wa, l.ba, l.cin, l.c, n, l.h, l.w, 3, 2, true)
	m.be.BatchNorm(l.a[:l.c*p], l.mean[0], l.invstd[0], l.c, p)
	m.conv(l.bOut, l.a, l.wb, l.bb, l.c, l.c, n, oh, ow, 3, 1, true)
	m.be.BatchNorm(l.bOut[:l.c*p], l.mean[1], l.invstd[1], l.c, p)
	m.be.AvgPool2(l.pd[:l.cin*p], in[:l.cin*n*l.h*l.w], l.cin*n, l.h, l.w)
	m.conv(l.out, l.pd, l.wd, -1, l.cin, l.c, n, oh, ow, 1, 1, false)
	m.be.Add(l.out[:l.c*p], l.bOut[:l.c*p])
	return l.out
}

// Loss computes the softmax cross-entropy of the last Forward against
// labels, weighted per sample by weight (nil for the plain mean), and
// prepares Backward. It returns the loss and the number of correct
// predictions.
func (m *Net) Loss(labels []int32, weight []float32) (loss float64, correct int) {
	n, k := m.n, m.shape.Classes
	if len(labels) < n {
		panic(fmt.Sprintf("supernet: %d labels for a batch of %d", len(labels), n))
	}
	m.loss = true
	return m.be.SoftmaxCrossEntropy(m.probs[:n*k], m.dlogits[:n*k], m.logits[:n*k], labels[:n], weight, n, k)
}

// Probs returns the softmax of the last Loss, [n, classes].
func (m *Net) Probs() []float32 { return m.probs[:m.n*m.shape.Classes] }

// Backward adds the gradient of the last Loss with respect to every
// parameter of the last Forward's path to Grads. Parameters of ops off the
// path get no gradient.
func (m *Net) Backward() {
	if !m.loss {
		panic("supernet: Backward without Loss after Forward")
	}
	s, n := m.shape, m.n
	last := &m.layers[len(m.layers)-1]
	hw := last.h * last.w
	p := n * hw
	m.touched[m.fcW], m.touched[m.fcB] = true, true
	m.be.LinearBackward(m.dfeat[:last.c*n], m.Grad(m.fcW), m.Grad(m.fcB), m.dlogits[:n*s.Classes], m.feat[:last.c*n], m.Param(m.fcW), n, last.c, s.Classes)
	dh := m.getGrad()
	m.be.ReLUMeanBackward(m.grad[dh][:last.c*p], m.dfeat, m.head, last.c*n, hw)
	dout := m.getGrad()
	m.be.BatchNormBackward(m.grad[dout][:last.c*p], m.grad[dh][:last.c*p], m.head, m.headInv, last.c, p)
	m.putGrad(dh)
	for i := len(m.layers) - 1; i >= 0; i-- {
		l := &m.layers[i]
		if l.reduce {
			dout = m.resBackward(l, dout)
		} else {
			dout = m.cellBackward(l, dout)
		}
	}
	dt := m.getGrad()
	p = n * s.H * s.W
	m.be.BatchNormBackward(m.grad[dt][:s.C*p], m.grad[dout][:s.C*p], m.stem, m.stemInv, s.C, p)
	g := nn.ConvGeom{Cin: s.InC, Cout: s.C, N: n, H: s.H, W: s.W, K: 3, Stride: 1, Pad: 1}
	m.convBack(nil, m.grad[dt], m.x0, m.stemW, -1, g)
	m.putGrad(dt)
	m.putGrad(dout)
}

func (m *Net) cellBackward(l *layer, dout int) int {
	n := m.n
	hw := l.h * l.w
	size := l.c * n * hw
	last := len(l.node) - 1
	var d [space.MaxEdges + 1]int // a gradient buffer per node; a cell has at most one node per edge, plus the input
	d[last] = dout
	for i := 0; i < last; i++ {
		d[i] = m.getGrad()
		m.be.Zero(m.grad[d[i]][:size])
	}
	dt := m.getGrad()
	for i := last; i >= 1; i-- {
		dnode := m.grad[d[i]][:size]
		for e := m.sp.NumEdges() - 1; e >= 0; e-- {
			edge := m.sp.Edge(e)
			if edge.To != i {
				continue
			}
			dsrc := m.grad[d[edge.From]][:size]
			op := m.arch[e]
			switch m.sp.Op(op).Kind {
			case space.Zero:
			case space.Identity:
				m.be.Add(dsrc, dnode)
			case space.AvgPool:
				m.be.AvgPool3Backward(dsrc, dnode, l.c*n, l.h, l.w)
			default:
				dy := m.grad[dt][:size]
				m.be.BatchNormBackward(dy, dnode, l.edge[e][:size], l.invstd[e], l.c, n*hw)
				k := m.kernel(op)
				g := nn.ConvGeom{Cin: l.c, Cout: l.c, N: n, H: l.h, W: l.w, K: k, Stride: 1, Pad: k / 2, ReLU: true}
				m.convBack(dsrc, dy, l.node[edge.From], l.cell.w[e][op], l.cell.b[e][op], g)
			}
		}
	}
	m.putGrad(dt)
	for i := 1; i <= last; i++ {
		m.putGrad(d[i])
	}
	return d[0]
}

func (m *Net) resBackward(l *layer, dout int) int {
	n := m.n
	oh, ow := l.h/2, l.w/2
	p := n * oh * ow
	insize := l.cin * n * l.h * l.w
	dOut := m.grad[dout][:l.c*p]
	dx := m.getGrad()
	m.be.Zero(m.grad[dx][:insize])
	// Shortcut: out = conv1x1(avgpool2(x)).
	dpd := m.getGrad()
	m.be.Zero(m.grad[dpd][:l.cin*p])
	gd := nn.ConvGeom{Cin: l.cin, Cout: l.c, N: n, H: oh, W: ow, K: 1, Stride: 1}
	m.convBack(m.grad[dpd], dOut, l.pd, l.wd, -1, gd)
	m.be.AvgPool2Backward(m.grad[dx][:insize], m.grad[dpd][:l.cin*p], l.cin*n, l.h, l.w)
	// Branch: out = BN(conv_b(ReLU(BN(conv_a(ReLU(x)))))).
	dt := m.getGrad()
	m.be.BatchNormBackward(m.grad[dt][:l.c*p], dOut, l.bOut, l.invstd[1], l.c, p)
	da := dpd // the shortcut's gradient is no longer needed
	m.be.Zero(m.grad[da][:l.c*p])
	gb := nn.ConvGeom{Cin: l.c, Cout: l.c, N: n, H: oh, W: ow, K: 3, Stride: 1, Pad: 1, ReLU: true}
	m.convBack(m.grad[da], m.grad[dt], l.a, l.wb, l.bb, gb)
	m.be.BatchNormBackward(m.grad[dt][:l.c*p], m.grad[da][:l.c*p], l.a, l.invstd[0], l.c, p)
	ga := nn.ConvGeom{Cin: l.cin, Cout: l.c, N: n, H: l.h, W: l.w, K: 3, Stride: 2, Pad: 1, ReLU: true}
	m.convBack(m.grad[dx], m.grad[dt], l.in, l.wa, l.ba, ga)
	m.putGrad(dt)
	m.putGrad(da)
	m.putGrad(dout)
	return dx
}
