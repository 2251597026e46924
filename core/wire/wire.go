// Package wire is the small binary format that run snapshots and sampler
// states share: little-endian fixed-width numbers, unsigned varints for
// counts, and counted byte strings and slices.
//
// An Encoder only appends. A Decoder's first error sticks, so a reader
// can decode a whole record and check once; the error names the byte
// offset where decoding failed, in words the caller chooses (a snapshot
// names its section, a sampler state its kind), because a damaged file
// should say where it is damaged.
package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Encoder appends values to B.
type Encoder struct{ B []byte }

// Take returns the encoded bytes and empties the encoder.
func (e *Encoder) Take() []byte { b := e.B; e.B = nil; return b }

// Uvarint appends v as an unsigned varint.
func (e *Encoder) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }

// U64 appends v as 8 little-endian bytes.
func (e *Encoder) U64(v uint64) { e.B = binary.LittleEndian.AppendUint64(e.B, v) }

// F64 appends the bits of v as 8 little-endian bytes.
func (e *Encoder) F64(v float64) { e.U64(math.Float64bits(v)) }

// Byte appends one byte.
func (e *Encoder) Byte(v byte) { e.B = append(e.B, v) }

// Bool appends 1 for true and 0 for false.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Byte(1)
	} else {
		e.Byte(0)
	}
}

// Bytes appends the length of p as a varint, then p.
func (e *Encoder) Bytes(p []byte) {
	e.Uvarint(uint64(len(p)))
	e.B = append(e.B, p...)
}

// Text appends s as Bytes does.
func (e *Encoder) Text(s string) {
	e.Uvarint(uint64(len(s)))
	e.B = append(e.B, s...)
}

// F64s appends the values of v without a count; the reader must know it.
func (e *Encoder) F64s(v []float64) {
	e.B = slices.Grow(e.B, 8*len(v))
	for _, x := range v {
		e.F64(x)
	}
}

// CountedF64s appends the length of v as a varint, then its values.
func (e *Encoder) CountedF64s(v []float64) {
	e.Uvarint(uint64(len(v)))
	e.F64s(v)
}

// CountedF32s appends the length of v as a varint, then its values as
// 4 little-endian bytes each.
func (e *Encoder) CountedF32s(v []float32) {
	e.Uvarint(uint64(len(v)))
	e.B = slices.Grow(e.B, 4*len(v))
	for _, x := range v {
		e.B = binary.LittleEndian.AppendUint32(e.B, math.Float32bits(x))
	}
}

// Decoder reads what an Encoder wrote. After the first error every read
// returns a zero value and Err reports that error.
type Decoder struct {
	b     []byte
	off   int
	where func(off int64) string
	base  int64
	err   error
}

// NewDecoder reads b. An error reads where(base+offset) + ": " + what
// went wrong; base is b's offset in the stream it came from.
func NewDecoder(b []byte, base int64, where func(off int64) string) *Decoder {
	return &Decoder{b: b, base: base, where: where}
}

// Failf records an error at the current offset unless one is already
// recorded.
func (d *Decoder) Failf(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s", d.where(d.base+int64(d.off)), fmt.Sprintf(format, args...))
	}
}

// Offset is the position of the next read in the decoder's input.
func (d *Decoder) Offset() int { return d.off }

// FailAt records an error at offset at (an earlier Offset), for a value
// that was read in full but is not acceptable, so that the error points
// at its start.
func (d *Decoder) FailAt(at int, format string, args ...any) {
	d.off = at
	d.Failf(format, args...)
}

// Err returns the first error.
func (d *Decoder) Err() error { return d.err }

// Take returns the next n bytes, or nil (with the error set) if there
// are fewer. The bytes alias the decoder's input.
func (d *Decoder) Take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.Failf("truncated: want %d bytes, %d left", n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.Failf("bad or truncated varint")
		return 0
	}
	d.off += n
	return v
}

// Int reads a varint that must lie in [0, max]; what names it in the
// error.
func (d *Decoder) Int(max int, what string) int {
	at := d.off
	v := d.Uvarint()
	if d.err == nil && v > uint64(max) {
		d.FailAt(at, "%s %d is above %d", what, v, max)
		return 0
	}
	return int(v)
}

// U64 reads 8 little-endian bytes.
func (d *Decoder) U64() uint64 {
	if p := d.Take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// F64 reads a float64 written by Encoder.F64.
func (d *Decoder) F64() float64 { return math.Float64frombits(d.U64()) }

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if p := d.Take(1); p != nil {
		return p[0]
	}
	return 0
}

// Bool reads a byte that must be 0 or 1.
func (d *Decoder) Bool() bool {
	at := d.off
	switch v := d.Byte(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.FailAt(at, "boolean %d", v)
		return false
	}
}

// Bytes reads a counted byte string; the bytes alias the input.
func (d *Decoder) Bytes() []byte {
	return d.Take(d.Int(len(d.b), "length"))
}

// Text reads a counted string.
func (d *Decoder) Text() string { return string(d.Bytes()) }

// Tag reads a counted string that must equal want, for the kind and
// format version a record starts with.
func (d *Decoder) Tag(want, what string) {
	at := d.off
	got := d.Bytes()
	if got != nil && string(got) != want {
		d.FailAt(at, "%s is %q, want %q", what, got, want)
	}
}

// F64s reads n float64s written by Encoder.F64s; it returns nil on error.
func (d *Decoder) F64s(n int) []float64 {
	p := d.Take(8 * n)
	if p == nil {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return v
}

// CountedF64s reads a counted float64 slice of at most max values.
func (d *Decoder) CountedF64s(max int, what string) []float64 {
	return d.F64s(d.Int(max, what))
}

// CountedF32s reads a counted float32 slice of at most max values.
func (d *Decoder) CountedF32s(max int, what string) []float32 {
	n := d.Int(max, what)
	p := d.Take(4 * n)
	if p == nil {
		return nil
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return v
}

// Finish reports the first error, or that bytes are left over.
func (d *Decoder) Finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.Failf("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
