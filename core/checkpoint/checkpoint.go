// Package checkpoint moves supernet weights in and out of NumPy .npz files
// whose keys and shapes are exactly PyTorch's Supernet201.state_dict(), so
// that `model.load_state_dict({k: torch.from_numpy(v) ...})` works, and
// carries an optional probe (a batch, its architecture, the Go logits and
// every gradient) that lets PyTorch check the Go engine number by number.
package checkpoint

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"pada/core/npz"
	"pada/core/space"
	"pada/core/supernet"
)

// Probe is one batch pushed through one architecture, with what Go computed.
type Probe struct {
	Input  []float32 // NCHW
	N      int       // images in the batch
	Target []int64
	Arch   space.Arch
	Logits []float32 // [N, classes], train-mode forward
	Grads  []float32 // gradient of the mean cross-entropy, laid out as Net.Params
}

// Key prefixes of the probe entries.
const (
	probePrefix = "probe/"
	gradPrefix  = "grad/"
)

// NewProbe runs x (NCHW, n images) with labels through architecture a on m
// and records the logits and the gradient of the mean cross-entropy. It
// clears m's gradients first and leaves them holding the probe's.
func NewProbe(m *supernet.Net, x []float32, labels []int32, n int, a space.Arch) *Probe {
	m.ZeroGrad()
	logits := m.Forward(x, n, a)
	p := &Probe{N: n, Arch: a, Logits: slices.Clone(logits)}
	m.Loss(labels, nil)
	m.Backward()
	s := m.Shape()
	p.Input = slices.Clone(x[:n*s.InC*s.H*s.W])
	p.Target = make([]int64, n)
	for i := range p.Target {
		p.Target[i] = int64(labels[i])
	}
	p.Grads = slices.Clone(m.Grads)
	return p
}

// Write writes m's parameters under their state_dict keys and, if p is not
// nil, the probe under probe/* and grad/<key>.
func Write(w io.Writer, m *supernet.Net, p *Probe) error {
	z := npz.NewWriter(w)
	for i, t := range m.Tensors {
		if err := z.Float32(t.Name, t.Shape, m.Param(i)); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	if p != nil {
		s := m.Shape()
		arch := make([]int64, space.NumEdges)
		for e, op := range p.Arch {
			arch[e] = int64(op)
		}
		entries := []struct {
			name  string
			shape []int
			f     []float32
			i     []int64
		}{
			{name: probePrefix + "input", shape: []int{p.N, s.InC, s.H, s.W}, f: p.Input},
			{name: probePrefix + "target", shape: []int{p.N}, i: p.Target},
			{name: probePrefix + "arch", shape: []int{space.NumEdges}, i: arch},
			{name: probePrefix + "logits", shape: []int{p.N, s.Classes}, f: p.Logits},
		}
		for _, e := range entries {
			var err error
			if e.i != nil {
				err = z.Int64(e.name, e.shape, e.i)
			} else {
				err = z.Float32(e.name, e.shape, e.f)
			}
			if err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
		}
		for _, t := range m.Tensors {
			if err := z.Float32(gradPrefix+t.Name, t.Shape, p.Grads[t.Off:t.Off+t.Len]); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Read loads the parameters of an .npz written by Write (or by PyTorch's
// state_dict through numpy.savez) into m. Every parameter key of m must be
// present with its exact shape; other keys than probe/* and grad/* are
// refused, so a file for another shape is never half-loaded. The probe is
// returned if the file has one.
func Read(r io.ReaderAt, size int64, m *supernet.Net) (*Probe, error) {
	z, err := npz.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	want := make(map[string]int, len(m.Tensors))
	for i, t := range m.Tensors {
		want[t.Name] = i
	}
	params := make([]float32, len(m.Params))
	seen := 0
	hasProbe := false
	for _, name := range z.Names() {
		if strings.HasPrefix(name, probePrefix) || strings.HasPrefix(name, gradPrefix) {
			hasProbe = true
			continue
		}
		i, ok := want[name]
		if !ok {
			return nil, fmt.Errorf("checkpoint: entry %q is not a parameter of this supernet (shape %+v)", name, m.Shape())
		}
		t := m.Tensors[i]
		a, err := z.Array(name)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if !slices.Equal(a.Shape, t.Shape) || a.Float32 == nil {
			return nil, fmt.Errorf("checkpoint: entry %q has shape %v dtype %s, want %v float32", name, a.Shape, a.Dtype, t.Shape)
		}
		copy(params[t.Off:t.Off+t.Len], a.Float32)
		seen++
		delete(want, name)
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for k := range want {
			missing = append(missing, k)
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("checkpoint: %d parameters missing, first %q", len(missing), missing[0])
	}
	copy(m.Params, params)
	if !hasProbe {
		return nil, nil
	}
	return readProbe(z, m)
}

func readProbe(z *npz.Reader, m *supernet.Net) (*Probe, error) {
	s := m.Shape()
	get := func(name string) (*npz.Array, error) {
		a, err := z.Array(probePrefix + name)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		return a, nil
	}
	in, err := get("input")
	if err != nil {
		return nil, err
	}
	if len(in.Shape) != 4 || in.Shape[1] != s.InC || in.Shape[2] != s.H || in.Shape[3] != s.W || in.Float32 == nil {
		return nil, fmt.Errorf("checkpoint: probe/input has shape %v dtype %s, want [n %d %d %d] float32", in.Shape, in.Dtype, s.InC, s.H, s.W)
	}
	p := &Probe{Input: in.Float32, N: in.Shape[0]}
	tg, err := get("target")
	if err != nil {
		return nil, err
	}
	if !slices.Equal(tg.Shape, []int{p.N}) || tg.Int64 == nil {
		return nil, fmt.Errorf("checkpoint: probe/target has shape %v dtype %s, want [%d] int64", tg.Shape, tg.Dtype, p.N)
	}
	p.Target = tg.Int64
	ar, err := get("arch")
	if err != nil {
		return nil, err
	}
	if !slices.Equal(ar.Shape, []int{space.NumEdges}) || ar.Int64 == nil {
		return nil, fmt.Errorf("checkpoint: probe/arch has shape %v dtype %s, want [6] int64", ar.Shape, ar.Dtype)
	}
	for e, v := range ar.Int64 {
		if v < 0 || v >= space.NumOps {
			return nil, fmt.Errorf("checkpoint: probe/arch[%d] = %d is not an op index in [0, %d)", e, v, space.NumOps)
		}
		p.Arch[e] = space.Op(v)
	}
	lg, err := get("logits")
	if err != nil {
		return nil, err
	}
	if !slices.Equal(lg.Shape, []int{p.N, s.Classes}) || lg.Float32 == nil {
		return nil, fmt.Errorf("checkpoint: probe/logits has shape %v, want [%d %d] float32", lg.Shape, p.N, s.Classes)
	}
	p.Logits = lg.Float32
	p.Grads = make([]float32, len(m.Params))
	for _, t := range m.Tensors {
		a, err := z.Array(gradPrefix + t.Name)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if !slices.Equal(a.Shape, t.Shape) || a.Float32 == nil {
			return nil, fmt.Errorf("checkpoint: grad/%s has shape %v, want %v float32", t.Name, a.Shape, t.Shape)
		}
		copy(p.Grads[t.Off:], a.Float32)
	}
	return p, nil
}
