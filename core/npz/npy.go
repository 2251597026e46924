package npz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// magic opens every .npy stream; two version bytes follow it.
const magic = "\x93NUMPY"

// maxHeader bounds the header length the reader accepts. Real headers
// are under a hundred bytes (NumPy itself refuses more than 10,000 by
// default); the bound keeps a hostile 4 GiB length from being allocated.
const maxHeader = 1 << 16

// maxDims bounds the number of dimensions, as NumPy's NPY_MAXDIMS does.
const maxDims = 64

// chunkBytes is how much data is decoded per read.
const chunkBytes = 64 << 10

// npyHeader returns the magic, version 1.0, header length and header of
// an array of the given descr and shape, padded with spaces and ended
// with a newline so that the data starts at a multiple of 64 bytes, as
// the .npy specification asks (it lets readers map the data aligned).
// With at most maxDims dimensions the header always fits version 1.0's
// 2-byte length.
func npyHeader(descr string, shape []int) []byte {
	dict := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + formatShape(shape) + ", }"
	const prefix = len(magic) + 2 + 2
	total := (prefix + len(dict) + 1 + 63) / 64 * 64
	b := make([]byte, 0, total)
	b = append(b, magic...)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(total-prefix))
	b = append(b, dict...)
	for len(b) < total-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// ReadNPY reads one .npy array from r, which must hold nothing after the
// array's data. Errors are *FormatError or errors from r.
func ReadNPY(r io.Reader) (*Array, error) {
	return decode(r, "", -1, false)
}

// decode reads a .npy stream for entry (empty for a bare .npy). size is
// the stream's length if known, else -1; if trusted, the size is known to
// be backed by real bytes, so the data can be allocated in one piece.
// Otherwise memory grows only as data arrives.
func decode(r io.Reader, entry string, size int64, trusted bool) (*Array, error) {
	ferr := func(part string, off int64, format string, args ...any) error {
		return &FormatError{Entry: entry, Part: part, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	// ioErr reports a read failure: a short read as a FormatError, other
	// errors (a zip checksum mismatch, a failing disk) wrapped.
	ioErr := func(part string, off int64, err error, format string, args ...any) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ferr(part, off, format, args...)
		}
		return fmt.Errorf("%s: %w", where(entry, part, off), err)
	}

	var pre [12]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, ioErr("magic", 0, err, "truncated: %d bytes, want at least 8", n)
	}
	if string(pre[:6]) != magic {
		return nil, ferr("magic", 0, "not a .npy array: starts with %q, want %q", pre[:6], magic)
	}
	major, minor := pre[6], pre[7]
	var hlen, start int64
	switch {
	case major == 1 && minor == 0:
		if n, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, ioErr("header", 8, err, "truncated header length: %d of 2 bytes", n)
		}
		hlen, start = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		if n, err := io.ReadFull(r, pre[8:12]); err != nil {
			return nil, ioErr("header", 8, err, "truncated header length: %d of 4 bytes", n)
		}
		hlen, start = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return nil, ferr("magic", 6, "format version %d.%d not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if hlen > maxHeader {
		return nil, ferr("header", start, "header length %d exceeds the limit of %d bytes", hlen, maxHeader)
	}
	if size >= 0 && start+hlen > size {
		return nil, ferr("header", start, "header length %d runs past the end of the %d-byte array", hlen, size)
	}
	hdr := make([]byte, hlen)
	if n, err := io.ReadFull(r, hdr); err != nil {
		return nil, ioErr("header", start, err, "truncated: header length %d, have %d bytes", hlen, n)
	}
	h, err := parseHeader(hdr)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			return nil, ferr("header", start+int64(pe.off), "%s", pe.msg)
		}
		return nil, ferr("header", start, "%v", err)
	}
	dt, ok := dtypes[h.descr]
	if !ok {
		if len(h.descr) > 0 && h.descr[0] == '>' {
			return nil, ferr("header", start, "big-endian dtype %q not supported", clip(h.descr))
		}
		return nil, ferr("header", start, "dtype %q not supported (want <f4, <f8, <i8, <i4, |u1 or |b1)", clip(h.descr))
	}
	if h.fortran {
		return nil, ferr("header", start, "fortran_order True not supported; save a C-ordered array (np.ascontiguousarray)")
	}
	n, need, ok := count(h.shape, dt.size)
	if !ok {
		return nil, ferr("header", start, "shape %s of %s overflows the address space", formatShape(h.shape), h.descr)
	}
	data := start + hlen
	if size >= 0 {
		if have := size - data; need != have {
			return nil, ferr("header", start, "shape %s needs %d bytes of data, have %d", formatShape(h.shape), need, have)
		}
	}

	a := &Array{Shape: h.shape, Dtype: h.descr}
	// Preallocate only what is known to exist; otherwise start small so
	// that a lying header costs nothing, and let append grow the slice.
	capN := n
	if !trusted {
		capN = min(n, chunkBytes/int64(dt.size))
	}
	if dt.float {
		a.Float32 = make([]float32, 0, capN)
	} else {
		a.Int64 = make([]int64, 0, capN)
	}
	buf := make([]byte, min(need, chunkBytes))
	for got := int64(0); got < need; {
		b := buf[:min(need-got, chunkBytes)]
		k, err := io.ReadFull(r, b)
		if err != nil {
			if size >= 0 {
				// The header agreed with the declared size, so the
				// declaration lied (a compressed entry can); archive/zip
				// may drop the last bytes it read, so no count is given.
				return nil, ioErr("data", data, err, "shape %s needs %d bytes of data; the entry ends before its declared %d bytes", formatShape(h.shape), need, size)
			}
			return nil, ioErr("data", data, err, "shape %s needs %d bytes of data, have %d", formatShape(h.shape), need, got+int64(k))
		}
		got += int64(k)
		if dt.float {
			a.Float32 = appendFloats(a.Float32, h.descr, b)
		} else {
			a.Int64 = appendInts(a.Int64, h.descr, b)
		}
	}
	// Reading to the end also makes a zip entry verify its checksum.
	k, err := io.ReadFull(r, pre[:1])
	if k > 0 {
		return nil, ferr("data", data+need, "unexpected bytes after the %d bytes of data of shape %s", need, formatShape(h.shape))
	}
	if err != nil && err != io.EOF {
		return nil, ioErr("data", data+need, err, "reading past the data")
	}
	return a, nil
}

// appendFloats decodes the little-endian floats in b, a whole number of
// elements, and appends them to dst.
func appendFloats(dst []float32, descr string, b []byte) []float32 {
	switch descr {
	case "<f4":
		for i := 0; i+4 <= len(b); i += 4 {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
	case "<f8":
		for i := 0; i+8 <= len(b); i += 8 {
			dst = append(dst, float32(math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))))
		}
	}
	return dst
}

// appendInts decodes the little-endian integers or bools in b, a whole
// number of elements, and appends them to dst.
func appendInts(dst []int64, descr string, b []byte) []int64 {
	switch descr {
	case "<i8":
		for i := 0; i+8 <= len(b); i += 8 {
			dst = append(dst, int64(binary.LittleEndian.Uint64(b[i:])))
		}
	case "<i4":
		for i := 0; i+4 <= len(b); i += 4 {
			dst = append(dst, int64(int32(binary.LittleEndian.Uint32(b[i:]))))
		}
	case "|u1":
		for _, v := range b {
			dst = append(dst, int64(v))
		}
	case "|b1":
		// NumPy treats any nonzero byte as True.
		for _, v := range b {
			if v != 0 {
				dst = append(dst, 1)
			} else {
				dst = append(dst, 0)
			}
		}
	}
	return dst
}

// header is the content of a .npy header dictionary.
type header struct {
	descr   string
	fortran bool
	shape   []int
}

// A parseError is a header syntax error at byte off of the header text.
type parseError struct {
	off int
	msg string
}

func (e *parseError) Error() string { return fmt.Sprintf("at byte %d: %s", e.off, e.msg) }

// parseHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }, followed
// by padding. NumPy reads it with ast.literal_eval; this accepts the
// subset NumPy and other writers produce: either quote style without
// escapes, True/False, tuples of non-negative integers (with Python 2's
// "L" suffix), whitespace and trailing commas, exactly the three keys.
func parseHeader(b []byte) (header, error) {
	p := &hparser{b: b}
	var h header
	p.space()
	if err := p.expect('{'); err != nil {
		return h, err
	}
	seen := map[string]bool{}
	for {
		p.space()
		if p.peek() == '}' {
			p.pos++
			break
		}
		koff := p.pos
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, &parseError{koff, fmt.Sprintf("key %q appears twice", key)}
		}
		seen[key] = true
		p.space()
		if err := p.expect(':'); err != nil {
			return h, err
		}
		p.space()
		voff := p.pos
		switch key {
		case "descr":
			if p.peek() == '[' {
				return h, &parseError{voff, "structured dtype (a list descr) not supported"}
			}
			h.descr, err = p.str()
		case "fortran_order":
			h.fortran, err = p.boolean()
		case "shape":
			h.shape, err = p.tuple()
		default:
			return h, &parseError{koff, fmt.Sprintf("unexpected key %q (want descr, fortran_order, shape)", clip(key))}
		}
		if err != nil {
			return h, err
		}
		p.space()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if err := p.expect('}'); err != nil {
			return h, err
		}
		break
	}
	p.space()
	if p.pos != len(b) {
		return h, &parseError{p.pos, fmt.Sprintf("unexpected %q after the header dictionary", clip(string(b[p.pos:])))}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, &parseError{0, fmt.Sprintf("header dictionary lacks key %q", k)}
		}
	}
	return h, nil
}

// hparser is a cursor over header text.
type hparser struct {
	b   []byte
	pos int
}

func (p *hparser) peek() byte {
	if p.pos < len(p.b) {
		return p.b[p.pos]
	}
	return 0
}

func (p *hparser) space() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// found names the text at the cursor for an error message.
func (p *hparser) found() string {
	if p.pos >= len(p.b) {
		return "end of header"
	}
	return strconv.Quote(clip(string(p.b[p.pos:min(len(p.b), p.pos+8)])))
}

func (p *hparser) expect(c byte) error {
	if p.peek() != c {
		return &parseError{p.pos, fmt.Sprintf("want %q, found %s", c, p.found())}
	}
	p.pos++
	return nil
}

// str parses a quoted string without escapes.
func (p *hparser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", &parseError{p.pos, "want a quoted string, found " + p.found()}
	}
	start := p.pos
	for i := p.pos + 1; i < len(p.b); i++ {
		switch p.b[i] {
		case q:
			p.pos = i + 1
			return string(p.b[start+1 : i]), nil
		case '\\', '\n':
			return "", &parseError{i, "escape or newline in a string not supported"}
		}
	}
	return "", &parseError{start, "unterminated string"}
}

func (p *hparser) boolean() (bool, error) {
	for _, w := range []struct {
		s string
		v bool
	}{{"True", true}, {"False", false}} {
		if len(p.b)-p.pos >= len(w.s) && string(p.b[p.pos:p.pos+len(w.s)]) == w.s {
			p.pos += len(w.s)
			return w.v, nil
		}
	}
	return false, &parseError{p.pos, "want True or False, found " + p.found()}
}

// tuple parses a Python tuple of non-negative integers. A single element
// needs its trailing comma, as in Python, where (3) is not a tuple.
func (p *hparser) tuple() ([]int, error) {
	start := p.pos
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape := []int{}
	comma := false
	for {
		p.space()
		if p.peek() == ')' {
			p.pos++
			break
		}
		if len(shape) > 0 && !comma {
			return nil, &parseError{p.pos, "want ',' or ')' in shape, found " + p.found()}
		}
		if len(shape) == maxDims {
			return nil, &parseError{start, fmt.Sprintf("shape has more than %d dimensions", maxDims)}
		}
		d, err := p.integer()
		if err != nil {
			return nil, err
		}
		shape = append(shape, d)
		p.space()
		comma = p.peek() == ','
		if comma {
			p.pos++
		}
	}
	if len(shape) == 1 && !comma {
		return nil, &parseError{start, "shape (n) is not a tuple; want (n,)"}
	}
	return shape, nil
}

// integer parses a non-negative decimal integer that fits an int32 or
// int64 as the platform's int allows, with an optional "L" suffix.
func (p *hparser) integer() (int, error) {
	start := p.pos
	for p.pos < len(p.b) && p.b[p.pos] >= '0' && p.b[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, &parseError{start, "want a non-negative integer in shape, found " + p.found()}
	}
	s := string(p.b[start:p.pos])
	if p.peek() == 'L' {
		p.pos++
	}
	d, err := strconv.Atoi(s)
	if err != nil {
		return 0, &parseError{start, fmt.Sprintf("dimension %s out of range", clip(s))}
	}
	return d, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
