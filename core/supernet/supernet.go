// Package supernet is the weight-sharing network of a cell search space
// (NAS-Bench-201's macro skeleton around the space's cells): every cell
// holds weights for every (edge, op) with parameters, and one
// forward/backward pass trains the single architecture (path) it is given.
//
// Parameters and their gradients each live in one flat buffer; a Tensor
// names a slice of it with the key PyTorch's Supernet201.state_dict() uses,
// so that optimizers, clipping and variance measurements work on flat
// vectors and weights move to and from PyTorch unchanged. Activations are
// preallocated for the largest batch once, so a training step allocates
// nothing.
package supernet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"pada/core/nn"
	"pada/core/space"
)

// Tensor names a parameter: a slice [Off, Off+Len) of Net.Params (and of
// Net.Grads) with PyTorch's key and shape.
type Tensor struct {
	Name  string
	Shape []int
	Off   int
	Len   int
}

// cellParams are the tensor indices of one cell's convolutions; -1 where an
// op has no parameters.
type cellParams struct {
	w, b [space.MaxEdges][space.MaxOps]int
}

type layer struct {
	reduce  bool
	cin, c  int // input and output channels
	h, w    int // input size
	cell    cellParams
	wa, ba  int // resblock tensors
	wb, bb  int
	wd      int
	node    [][]float32 // cell nodes; node[0] aliases the input
	edge    [space.MaxEdges][]float32
	mean    [space.MaxEdges][]float32
	invstd  [space.MaxEdges][]float32
	a, bOut []float32 // resblock branch outputs (normalised)
	pd, out []float32 // pooled input, block output
	in      []float32
}

// Net is a supernet with its parameters, gradients and activations.
type Net struct {
	sp      *space.Space
	shape   space.Shape
	be      nn.Backend
	Params  []float32
	Grads   []float32
	Tensors []Tensor
	touched []bool // a tensor that once had a gradient keeps being updated

	stemW, fcW, fcB int
	layers          []layer

	x0, stem          []float32
	stemMean, stemInv []float32
	head, feat        []float32
	headMean, headInv []float32
	logits, probs     []float32
	dlogits, dfeat    []float32
	grad              [][]float32 // activation-gradient buffers
	free              uint16      // bitmask of free grad buffers

	n      int // batch of the last Forward
	arch   space.Arch
	loss   bool // Loss has run since the last Forward
	colLen int
}

// Reserver is implemented by backends that can preallocate scratch.
type Reserver interface{ Reserve(colLen int) }

// New builds an NB201 supernet of the given shape on a backend (NewSpace
// with space.NB201Cell). Its parameters are zero until Init or a load.
func New(s space.Shape, be nn.Backend) (*Net, error) { return NewSpace(space.NB201Cell, s, be) }

// NewSpace builds a supernet of search space sp and the given shape on a
// backend. Its parameters are zero until Init or a load. Tensors are
// named as PyTorch's Supernet201 names them, with the op's index in the
// space: an NB201 supernet's state_dict is unchanged.
func NewSpace(sp *space.Space, s space.Shape, be nn.Backend) (*Net, error) {
	if sp == nil {
		return nil, fmt.Errorf("supernet: no search space")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	m := &Net{sp: sp, shape: s, be: be}
	add := func(name string, shape ...int) int {
		n := 1
		for _, d := range shape {
			n *= d
		}
		off := 0
		if k := len(m.Tensors); k > 0 {
			off = m.Tensors[k-1].Off + m.Tensors[k-1].Len
		}
		m.Tensors = append(m.Tensors, Tensor{Name: name, Shape: shape, Off: off, Len: n})
		return len(m.Tensors) - 1
	}
	m.stemW = add("stem.0.weight", s.C, s.InC, 3, 3)
	c, h, w := s.C, s.H, s.W
	idx := 0
	for stage := 0; stage < 3; stage++ {
		if stage > 0 {
			l := layer{reduce: true, cin: c, c: 2 * c, h: h, w: w}
			p := fmt.Sprintf("cells.%d.", idx)
			l.wa = add(p+"conv_a.op.1.weight", 2*c, c, 3, 3)
			l.ba = add(p+"conv_a.op.1.bias", 2*c)
			l.wb = add(p+"conv_b.op.1.weight", 2*c, 2*c, 3, 3)
			l.bb = add(p+"conv_b.op.1.bias", 2*c)
			l.wd = add(p+"downsample.1.weight", 2*c, c, 1, 1)
			m.layers = append(m.layers, l)
			idx++
			c, h, w = 2*c, h/2, w/2
		}
		for i := 0; i < s.N; i++ {
			l := layer{cin: c, c: c, h: h, w: w}
			for e := range l.cell.w {
				for op := range l.cell.w[e] {
					l.cell.w[e][op], l.cell.b[e][op] = -1, -1
				}
			}
			for e, edge := range sp.Edges() {
				for op := range sp.NumOps() {
					k := m.kernel(space.Op(op))
					if k == 0 {
						continue
					}
					p := fmt.Sprintf("cells.%d.edges.%s.%d.op.1.", idx, edge, op)
					l.cell.w[e][op] = add(p+"weight", c, c, k, k)
					l.cell.b[e][op] = add(p+"bias", c)
				}
			}
			m.layers = append(m.layers, l)
			idx++
		}
	}
	m.fcW = add("classifier.weight", s.Classes, c)
	m.fcB = add("classifier.bias", s.Classes)
	last := m.Tensors[len(m.Tensors)-1]
	m.Params = make([]float32, last.Off+last.Len)
	m.Grads = make([]float32, len(m.Params))
	m.touched = make([]bool, len(m.Tensors))
	m.alloc()
	return m, nil
}

// kernel is op's convolution kernel size, 0 for an op without weights.
func (m *Net) kernel(op space.Op) int {
	if o := m.sp.Op(op); o.Kind == space.ConvOp {
		return o.Kernel
	}
	return 0
}

func (m *Net) alloc() {
	s := m.shape
	b := s.Batch
	mk := func(n int) []float32 { return make([]float32, n) }
	m.x0 = mk(s.InC * b * s.H * s.W)
	m.stem = mk(s.C * b * s.H * s.W)
	m.stemMean, m.stemInv = mk(s.C), mk(s.C)
	maxAct := s.C * b * s.H * s.W
	m.colLen = 9 * max(s.InC, s.C) * b * s.H * s.W
	for i := range m.layers {
		l := &m.layers[i]
		if l.reduce {
			oh, ow := l.h/2, l.w/2
			n := l.c * b * oh * ow
			l.a, l.bOut, l.out = mk(n), mk(n), mk(n)
			l.pd = mk(l.cin * b * oh * ow)
			l.mean[0], l.invstd[0] = mk(l.c), mk(l.c)
			l.mean[1], l.invstd[1] = mk(l.c), mk(l.c)
			continue
		}
		n := l.c * b * l.h * l.w
		l.node = make([][]float32, m.sp.Nodes())
		for k := 1; k < len(l.node); k++ {
			l.node[k] = mk(n)
		}
		for e := range m.sp.NumEdges() {
			l.edge[e] = mk(n)
			l.mean[e], l.invstd[e] = mk(l.c), mk(l.c)
		}
	}
	cf := m.layers[len(m.layers)-1].c
	hf, wf := s.H/4, s.W/4
	m.head = mk(cf * b * hf * wf)
	m.headMean, m.headInv = mk(cf), mk(cf)
	m.feat, m.dfeat = mk(cf*b), mk(cf*b)
	m.logits, m.probs, m.dlogits = mk(b*s.Classes), mk(b*s.Classes), mk(b*s.Classes)
	// A cell's backward pass holds one buffer per node, one for the
	// edge in progress and the output's: 6 for NB201's 4-node cell.
	m.grad = make([][]float32, max(6, m.sp.Nodes()+2))
	for i := range m.grad {
		m.grad[i] = mk(maxAct)
	}
	m.free = 1<<len(m.grad) - 1
	if r, ok := m.be.(Reserver); ok {
		r.Reserve(m.colLen)
	}
}

// Space reports the network's search space.
func (m *Net) Space() *space.Space { return m.sp }

// Shape reports the network's shape.
func (m *Net) Shape() space.Shape { return m.shape }

// Backend reports the backend the network computes on.
func (m *Net) Backend() nn.Backend { return m.be }

// NumParams is the number of parameters of the whole supernet.
func (m *Net) NumParams() int { return len(m.Params) }

// Param returns tensor i's parameters.
func (m *Net) Param(i int) []float32 { t := m.Tensors[i]; return m.Params[t.Off : t.Off+t.Len] }

// Grad returns tensor i's gradient.
func (m *Net) Grad(i int) []float32 { t := m.Tensors[i]; return m.Grads[t.Off : t.Off+t.Len] }

// Touched reports whether tensor i has received a gradient since Init.
func (m *Net) Touched(i int) bool { return m.touched[i] }

// SetTouched restores the flags Touched reports, one per tensor, as a
// checkpoint saved them: they decide whether SGD keeps updating a tensor.
func (m *Net) SetTouched(flags []bool) error {
	if len(flags) != len(m.touched) {
		return fmt.Errorf("supernet: %d touched flags for %d tensors", len(flags), len(m.touched))
	}
	copy(m.touched, flags)
	return nil
}

// Init draws every parameter as PyTorch's default initialisation of Conv2d
// and Linear does: uniform in ±1/sqrt(fan_in), from a seeded generator.
func (m *Net) Init(seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i, t := range m.Tensors {
		fanIn := 1
		if len(t.Shape) > 1 {
			for _, d := range t.Shape[1:] {
				fanIn *= d
			}
		} else {
			// A bias takes the fan-in of the weight just before it.
			w := m.Tensors[i-1]
			fanIn = w.Len / w.Shape[0]
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		for j := range m.Param(i) {
			m.Params[t.Off+j] = float32((2*r.Float64() - 1) * bound)
		}
	}
	clear(m.touched)
	clear(m.Grads)
}

// ZeroGrad clears the gradients.
func (m *Net) ZeroGrad() { m.be.Zero(m.Grads) }

// ParamCount is the number of parameters an architecture uses.
func (m *Net) ParamCount(a space.Arch) int {
	n := 0
	for _, i := range m.pathTensors(a) {
		n += m.Tensors[i].Len
	}
	return n
}

// pathTensors lists the tensors a path uses, in order.
func (m *Net) pathTensors(a space.Arch) []int {
	ids := []int{m.stemW}
	for i := range m.layers {
		l := &m.layers[i]
		if l.reduce {
			ids = append(ids, l.wa, l.ba, l.wb, l.bb, l.wd)
			continue
		}
		for e, op := range a[:m.sp.NumEdges()] {
			if l.cell.w[e][op] >= 0 {
				ids = append(ids, l.cell.w[e][op], l.cell.b[e][op])
			}
		}
	}
	return append(ids, m.fcW, m.fcB)
}

// OpTensors returns the weight and bias tensor indices of op on edge e of
// every search cell (nil for parameter-free ops), in cell order.
func (m *Net) OpTensors(e int, op space.Op) (w, b []int) {
	for i := range m.layers {
		l := &m.layers[i]
		if !l.reduce && l.cell.w[e][op] >= 0 {
			w = append(w, l.cell.w[e][op])
			b = append(b, l.cell.b[e][op])
		}
	}
	return w, b
}

// Cells reports the number of search cells.
func (m *Net) Cells() int { return 3 * m.shape.N }

// CellOpTensors returns the weight and bias tensors of op on edge e of
// search cell c, or -1, -1.
func (m *Net) CellOpTensors(c, e int, op space.Op) (w, b int) {
	k := 0
	for i := range m.layers {
		l := &m.layers[i]
		if l.reduce {
			continue
		}
		if k == c {
			return l.cell.w[e][op], l.cell.b[e][op]
		}
		k++
	}
	return -1, -1
}

func (m *Net) getGrad() int {
	for i := range m.grad {
		if m.free&(1<<i) != 0 {
			m.free &^= 1 << i
			return i
		}
	}
	panic("supernet: out of gradient buffers")
}

func (m *Net) putGrad(i int) { m.free |= 1 << i }
