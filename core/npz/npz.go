// Package npz reads and writes NumPy .npy arrays and .npz archives of
// them, the format in which the project exchanges supernet weights with
// PyTorch: a file written by Writer loads with
//
//	sd = {k: torch.from_numpy(v) for k, v in np.load(f).items()}
//	model.load_state_dict(sd)
//
// and a state_dict saved with np.savez (or np.savez_compressed) reads
// back with Reader.
//
// Only what weights and small probes need is supported: little-endian
// float32, float64, int64, int32, uint8 and bool arrays in C order, .npy
// format versions 1.0, 2.0 and 3.0. Everything else is refused with a
// *FormatError rather than guessed at. Reading is defensive: a header
// that promises more data than is present is rejected, and memory grows
// only with data actually read, so a lying or hostile file cannot make
// the reader allocate absurd amounts.
package npz

import (
	"fmt"
	"strconv"
	"strings"
)

// Array is one array read from a .npy stream or an .npz entry.
//
// Exactly one of Float32 and Int64 is non-nil, even for an empty array:
// floating-point dtypes ("<f4", and "<f8" rounded to the nearest float32,
// because every consumer in the project computes in float32) fill
// Float32; integer and bool dtypes ("<i8", "<i4", "|u1", and "|b1" as 0
// or 1) fill Int64. Dtype keeps the stored dtype so that a caller can
// insist on an exact one.
type Array struct {
	Name    string    // entry name without ".npy"; empty for ReadNPY
	Shape   []int     // C-order dimensions; empty for a scalar
	Dtype   string    // the header's descr, e.g. "<f4"
	Float32 []float32 // the values, row-major, for "<f4" and "<f8"
	Int64   []int64   // the values, row-major, for "<i8", "<i4", "|u1", "|b1"
}

// A FormatError reports a malformed or unsupported .npy array: which
// entry, which part of it, where, and what is wrong.
type FormatError struct {
	Entry  string // .npz entry name, e.g. "probe/input.npy"; empty for a bare .npy
	Part   string // "magic", "header" or "data"
	Offset int64  // byte offset within the .npy data of the part or problem
	Msg    string
}

func (e *FormatError) Error() string {
	return where(e.Entry, e.Part, e.Offset) + ": " + e.Msg
}

// where names a place in an array for an error message.
func where(entry, part string, off int64) string {
	if entry == "" {
		return fmt.Sprintf("npz: .npy %s at byte %d", part, off)
	}
	return fmt.Sprintf("npz: entry %q: %s at byte %d", entry, part, off)
}

// dtype describes a supported element type.
type dtype struct {
	size  int
	float bool // decodes to Float32 rather than Int64
}

// dtypes are the descr strings the reader accepts. NumPy writes '|' for
// one-byte types, which have no byte order.
var dtypes = map[string]dtype{
	"<f4": {4, true},
	"<f8": {8, true},
	"<i8": {8, false},
	"<i4": {4, false},
	"|u1": {1, false},
	"|b1": {1, false},
}

// formatShape writes shape as a Python tuple, as NumPy headers do: "()",
// "(3,)", "(3, 4)".
func formatShape(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// count returns the number of elements of shape and the bytes they need
// at elemSize bytes each, or ok = false if a dimension is negative or the
// byte count overflows an int64 or int.
func count(shape []int, elemSize int) (n, bytes int64, ok bool) {
	const maxInt = int64(^uint(0) >> 1)
	n = 1
	for _, d := range shape {
		if d < 0 {
			return 0, 0, false
		}
		if d != 0 && n > maxInt/int64(d) {
			return 0, 0, false
		}
		n *= int64(d)
	}
	if n > maxInt/int64(elemSize) {
		return 0, 0, false
	}
	return n, n * int64(elemSize), true
}
