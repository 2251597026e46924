package sampler

import (
	"encoding"
	"fmt"
	"math"

	"pada/core/space"
	"pada/core/wire"
)

// State is a sampler whose whole state can be written out and read back,
// so that an interrupted run continues with exactly the draws it would
// have made (together with the *rand.Rand it is given, which the caller
// saves). Every sampler in this package implements it.
//
// The encoding starts with a tag naming the sampler and its format
// version; UnmarshalBinary refuses a state written by another kind of
// sampler, or for another mode or data size, rather than adopt it: the
// receiver was built from a Config and must agree with it.
type State interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

var (
	_ State = Uniform{}
	_ State = (*FairNAS)(nil)
	_ State = (*PA)(nil)
	_ State = Fixed{}
	_ State = (*Shuffle)(nil)
	_ State = (*DA)(nil)
)

// Tags of the state encodings; the suffix is the format version.
const (
	tagUniform = "uniform/1"
	tagFairNAS = "fairnas/1"
	tagPA      = "pa/1"
	tagFixed   = "fixed/1"
	tagShuffle = "shuffle/1"
	tagDA      = "da/1"
)

// MarshalBinary implements State: Uniform has no state beyond its tag.
func (Uniform) MarshalBinary() ([]byte, error) { return tagOnly(tagUniform), nil }

// UnmarshalBinary implements State.
func (Uniform) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(tagUniform, "state")
	return d.Finish()
}

// MarshalBinary implements State: FairNAS has no state beyond its tag.
func (*FairNAS) MarshalBinary() ([]byte, error) { return tagOnly(tagFairNAS), nil }

// UnmarshalBinary implements State.
func (*FairNAS) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(tagFairNAS, "state")
	return d.Finish()
}

// MarshalBinary implements State: the mode, the distribution and the
// epoch's running scores.
func (p *PA) MarshalBinary() ([]byte, error) {
	var e wire.Encoder
	e.Text(tagPA)
	e.Bool(p.perEdge)
	for i := range p.pi {
		e.F64s(p.pi[i])
	}
	for i := range p.score {
		e.F64s(p.score[i])
	}
	return e.B, nil
}

// UnmarshalBinary implements State; the state must be for p's mode.
func (p *PA) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(tagPA, "state")
	perEdge := d.Bool()
	// The layout is the space's: one row per edge, one entry per op.
	rows, k := p.sp.NumEdges(), p.sp.NumOps()
	pi, score := make([][]float64, rows), make([][]float64, rows)
	for e := range pi {
		pi[e] = make([]float64, k)
		copy(pi[e], d.F64s(k))
	}
	for e := range score {
		score[e] = make([]float64, k)
		copy(score[e], d.F64s(k))
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if perEdge != p.perEdge {
		return fmt.Errorf("sampler: PA state is in %s mode, the sampler in %s mode", paMode(perEdge), paMode(p.perEdge))
	}
	p.pi, p.score = pi, score
	return nil
}

func paMode(perEdge bool) string {
	if perEdge {
		return "per-edge"
	}
	return "reference"
}

// MarshalBinary implements State: the fixed architecture.
func (f Fixed) MarshalBinary() ([]byte, error) {
	var e wire.Encoder
	e.Text(tagFixed)
	for _, op := range f.Arch {
		e.Byte(byte(op))
	}
	return e.B, nil
}

// UnmarshalBinary implements State. Fixed is a value whose only state is
// its architecture, so it can only check that the state names the same one.
func (f Fixed) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(tagFixed, "state")
	var a space.Arch
	for e := range a {
		a[e] = space.Op(d.Byte())
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if a != f.Arch {
		return fmt.Errorf("sampler: fixed state is for another architecture (%v, not %v)", []space.Op(a[:]), []space.Op(f.Arch[:]))
	}
	return nil
}

// MarshalBinary implements State: the number of examples.
func (s *Shuffle) MarshalBinary() ([]byte, error) {
	var e wire.Encoder
	e.Text(tagShuffle)
	e.Uvarint(uint64(s.n))
	return e.B, nil
}

// UnmarshalBinary implements State; the state must be for as many examples.
func (s *Shuffle) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(tagShuffle, "state")
	n := d.Uvarint()
	if err := d.Finish(); err != nil {
		return err
	}
	if n != uint64(s.n) {
		return fmt.Errorf("sampler: shuffle state is for %d examples, the sampler has %d", n, s.n)
	}
	return nil
}

// How DA's cumulative distribution is stored: it is either untouched
// (all zeros, before the first EndEpoch) or exactly the running sum of q
// that EndEpoch computes, so it rarely needs its own n float64s.
const (
	cumZero   = 0
	cumPrefix = 1
	cumRaw    = 2
)

// MarshalBinary implements State: the epoch's running scores, the
// distribution, whether the first (shuffled) epoch is still to come, and
// the epoch's draw counts.
func (d *DA) MarshalBinary() ([]byte, error) {
	n := len(d.q)
	e := wire.Encoder{B: make([]byte, 0, 16+17*n)}
	e.Text(tagDA)
	e.Uvarint(uint64(n))
	e.Bool(d.first)
	e.F64s(d.score)
	e.F64s(d.q)
	kind := cumRaw
	switch {
	case isZero(d.cum):
		kind = cumZero
	case isPrefixSum(d.cum, d.q):
		kind = cumPrefix
	}
	e.Byte(byte(kind))
	if kind == cumRaw {
		e.F64s(d.cum)
	}
	for _, k := range d.drawn {
		e.Uvarint(uint64(uint32(k)))
	}
	return e.B, nil
}

// UnmarshalBinary implements State; the state must be for as many examples.
func (d *DA) UnmarshalBinary(b []byte) error {
	dec := newDecoder(b)
	dec.Tag(tagDA, "state")
	n := dec.Uvarint()
	if dec.Err() == nil && n != uint64(len(d.q)) {
		return fmt.Errorf("sampler: DA state is for %d examples, the sampler has %d", n, len(d.q))
	}
	first := dec.Bool()
	score := dec.F64s(len(d.q))
	q := dec.F64s(len(d.q))
	cum := make([]float64, len(d.q))
	switch kind := dec.Byte(); kind {
	case cumZero:
	case cumPrefix:
		prefixSum(cum, q)
	case cumRaw:
		copy(cum, dec.F64s(len(d.q)))
	default:
		dec.Failf("cumulative distribution kind %d", kind)
	}
	drawn := make([]int32, len(d.q))
	for i := range drawn {
		k := dec.Uvarint()
		if k > math.MaxInt32 {
			dec.Failf("draw count %d of example %d", k, i)
		}
		drawn[i] = int32(k)
	}
	if err := dec.Finish(); err != nil {
		return err
	}
	d.first = first
	copy(d.score, score)
	copy(d.q, q)
	copy(d.cum, cum)
	copy(d.drawn, drawn)
	return nil
}

func isZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// prefixSum sets dst to the running sum of q, in the order and precision
// DA.EndEpoch uses, so that it reproduces cum bit for bit.
func prefixSum(dst, q []float64) {
	var c float64
	for i, v := range q {
		c += v
		dst[i] = c
	}
}

func isPrefixSum(cum, q []float64) bool {
	var c float64
	for i, v := range q {
		c += v
		if math.Float64bits(cum[i]) != math.Float64bits(c) {
			return false
		}
	}
	return true
}

// tagOnly is the state of a sampler that has none beyond its kind.
func tagOnly(tag string) []byte {
	var e wire.Encoder
	e.Text(tag)
	return e.B
}

// newDecoder reads a state; its errors name the byte offset.
func newDecoder(b []byte) *wire.Decoder {
	return wire.NewDecoder(b, 0, func(off int64) string { return fmt.Sprintf("sampler: state byte %d", off) })
}
