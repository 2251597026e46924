package sampler

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"math"

	"pada/core/space"
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
func (Uniform) MarshalBinary() ([]byte, error) { return appendTag(nil, tagUniform), nil }

// UnmarshalBinary implements State.
func (Uniform) UnmarshalBinary(b []byte) error {
	d := stateDecoder{b: b}
	d.tag(tagUniform)
	return d.finish()
}

// MarshalBinary implements State: FairNAS has no state beyond its tag.
func (*FairNAS) MarshalBinary() ([]byte, error) { return appendTag(nil, tagFairNAS), nil }

// UnmarshalBinary implements State.
func (*FairNAS) UnmarshalBinary(b []byte) error {
	d := stateDecoder{b: b}
	d.tag(tagFairNAS)
	return d.finish()
}

// MarshalBinary implements State: the mode, the distribution and the
// epoch's running scores.
func (p *PA) MarshalBinary() ([]byte, error) {
	b := appendTag(nil, tagPA)
	b = appendBool(b, p.perEdge)
	for e := range space.NumEdges {
		for o := range space.NumOps {
			b = appendF64(b, p.pi[e][o])
		}
	}
	for e := range space.NumEdges {
		for o := range space.NumOps {
			b = appendF64(b, p.score[e][o])
		}
	}
	return b, nil
}

// UnmarshalBinary implements State; the state must be for p's mode.
func (p *PA) UnmarshalBinary(b []byte) error {
	d := stateDecoder{b: b}
	d.tag(tagPA)
	perEdge := d.bool()
	var pi, score [space.NumEdges][space.NumOps]float64
	for e := range pi {
		for o := range pi[e] {
			pi[e][o] = d.f64()
		}
	}
	for e := range score {
		for o := range score[e] {
			score[e][o] = d.f64()
		}
	}
	if err := d.finish(); err != nil {
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
	b := appendTag(nil, tagFixed)
	for _, op := range f.Arch {
		b = append(b, byte(op))
	}
	return b, nil
}

// UnmarshalBinary implements State. Fixed is a value whose only state is
// its architecture, so it can only check that the state names the same one.
func (f Fixed) UnmarshalBinary(b []byte) error {
	d := stateDecoder{b: b}
	d.tag(tagFixed)
	var a space.Arch
	for e := range a {
		a[e] = space.Op(d.byte())
	}
	if err := d.finish(); err != nil {
		return err
	}
	if a != f.Arch {
		return fmt.Errorf("sampler: fixed state is for another architecture (%v, not %v)", []space.Op(a[:]), []space.Op(f.Arch[:]))
	}
	return nil
}

// MarshalBinary implements State: the number of examples.
func (s *Shuffle) MarshalBinary() ([]byte, error) {
	return binary.AppendUvarint(appendTag(nil, tagShuffle), uint64(s.n)), nil
}

// UnmarshalBinary implements State; the state must be for as many examples.
func (s *Shuffle) UnmarshalBinary(b []byte) error {
	d := stateDecoder{b: b}
	d.tag(tagShuffle)
	n := d.uvarint()
	if err := d.finish(); err != nil {
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
	b := appendTag(make([]byte, 0, 16+17*n), tagDA)
	b = binary.AppendUvarint(b, uint64(n))
	b = appendBool(b, d.first)
	for _, s := range d.score {
		b = appendF64(b, s)
	}
	for _, q := range d.q {
		b = appendF64(b, q)
	}
	kind := cumRaw
	switch {
	case isZero(d.cum):
		kind = cumZero
	case isPrefixSum(d.cum, d.q):
		kind = cumPrefix
	}
	b = append(b, byte(kind))
	if kind == cumRaw {
		for _, c := range d.cum {
			b = appendF64(b, c)
		}
	}
	for _, k := range d.drawn {
		b = binary.AppendUvarint(b, uint64(uint32(k)))
	}
	return b, nil
}

// UnmarshalBinary implements State; the state must be for as many examples.
func (d *DA) UnmarshalBinary(b []byte) error {
	dec := stateDecoder{b: b}
	dec.tag(tagDA)
	n := dec.uvarint()
	if dec.err == nil && n != uint64(len(d.q)) {
		return fmt.Errorf("sampler: DA state is for %d examples, the sampler has %d", n, len(d.q))
	}
	first := dec.bool()
	score := dec.f64s(len(d.q))
	q := dec.f64s(len(d.q))
	cum := make([]float64, len(d.q))
	switch kind := dec.byte(); kind {
	case cumZero:
	case cumPrefix:
		prefixSum(cum, q)
	case cumRaw:
		copy(cum, dec.f64s(len(d.q)))
	default:
		dec.failf("cumulative distribution kind %d", kind)
	}
	drawn := make([]int32, len(d.q))
	for i := range drawn {
		k := dec.uvarint()
		if k > math.MaxInt32 {
			dec.failf("draw count %d of example %d", k, i)
		}
		drawn[i] = int32(k)
	}
	if err := dec.finish(); err != nil {
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

func appendTag(b []byte, tag string) []byte {
	b = append(b, byte(len(tag)))
	return append(b, tag...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendF64(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// stateDecoder reads a state encoding; the first error sticks and names
// the byte offset where it happened.
type stateDecoder struct {
	b   []byte
	off int
	err error
}

func (d *stateDecoder) failf(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("sampler: state byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

// take returns the next n bytes, or nil (with the error set) if there are
// fewer.
func (d *stateDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.failf("truncated: want %d bytes, %d left", n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *stateDecoder) tag(want string) {
	n := d.take(1)
	if n == nil {
		return
	}
	got := d.take(int(n[0]))
	if got != nil && string(got) != want {
		d.off -= len(got) + 1
		d.failf("state is %q, want %q", got, want)
	}
}

func (d *stateDecoder) byte() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *stateDecoder) bool() bool {
	switch v := d.byte(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.off--
		d.failf("boolean %d", v)
		return false
	}
}

func (d *stateDecoder) f64() float64 {
	if p := d.take(8); p != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(p))
	}
	return 0
}

// f64s reads n float64s; it returns nil on error.
func (d *stateDecoder) f64s(n int) []float64 {
	p := d.take(8 * n)
	if p == nil {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return v
}

func (d *stateDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.failf("bad or truncated varint")
		return 0
	}
	d.off += n
	return v
}

// finish reports the first error, or trailing bytes.
func (d *stateDecoder) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.failf("%d trailing bytes", len(d.b)-d.off)
	}
	if d.err == nil {
		return nil
	}
	return d.err
}
