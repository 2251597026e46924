package data

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// maxBytes caps the pixel bytes a reader accepts from a header, whatever
// the header claims: a 32-bit wasm heap could not hold more, and a lying
// header must not make a reader try.
const maxBytes = 1 << 31

// chunk is the most a reader allocates ahead of the bytes it has actually
// read, so a header that promises gigabytes costs at most this much before
// the truncation is found.
const chunk = 1 << 20

// FormatError reports malformed data: which file, where, and what is wrong.
type FormatError struct {
	// File is the reader's Name() when it has one (an *os.File does), else
	// the role of the stream: "images", "labels", "cifar10", ...
	File string
	// Offset is the byte offset of the problem, counted in the
	// decompressed stream when Gzip is set.
	Offset int64
	Gzip   bool
	Err    error
}

func (e *FormatError) Error() string {
	where := fmt.Sprintf("byte %d", e.Offset)
	if e.Gzip {
		where += " of the gunzipped stream"
	}
	return fmt.Sprintf("data: %s: %s: %v", e.File, where, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// source reads one input stream, undoing gzip and counting bytes so that
// every error can say where it happened.
type source struct {
	r    io.Reader
	name string
	off  int64
	gz   bool
}

// newSource wraps r, named role unless r has a Name method. A stream that
// starts with the gzip magic (1f 8b) is gunzipped; neither IDX (00 00) nor
// CIFAR (a first label byte below 20) can start that way, so the test is
// unambiguous.
func newSource(r io.Reader, role string) (*source, error) {
	s := &source{name: role}
	if n, ok := r.(interface{ Name() string }); ok && n.Name() != "" {
		s.name = n.Name()
	}
	br := bufio.NewReader(r)
	s.r = br
	if m, err := br.Peek(2); err == nil && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FormatError{File: s.name, Err: fmt.Errorf("bad gzip header: %w", err)}
		}
		s.r, s.gz = zr, true
	}
	return s, nil
}

func (s *source) errorf(off int64, format string, args ...any) error {
	return &FormatError{File: s.name, Offset: off, Gzip: s.gz, Err: fmt.Errorf(format, args...)}
}

// full fills p. what names the bytes for a truncation error.
func (s *source) full(p []byte, what string) error {
	n, err := io.ReadFull(s.r, p)
	s.off += int64(n)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &FormatError{File: s.name, Offset: s.off, Gzip: s.gz,
			Err: fmt.Errorf("truncated %s: %d of %d bytes present: %w", what, n, len(p), io.ErrUnexpectedEOF)}
	default:
		return &FormatError{File: s.name, Offset: s.off, Gzip: s.gz, Err: err}
	}
}

// payload reads exactly n bytes, growing its buffer as bytes arrive rather
// than trusting n, so that a lying header cannot force a huge allocation.
func (s *source) payload(n int, what string) ([]byte, error) {
	buf := make([]byte, 0, min(n, chunk))
	start := s.off
	for len(buf) < n {
		if len(buf) == cap(buf) {
			// Double, so a genuine large payload costs O(n) copying.
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		if err := s.full(buf[len(buf):cap(buf)], what); err != nil {
			var fe *FormatError
			if errors.As(err, &fe) && errors.Is(err, io.ErrUnexpectedEOF) {
				fe.Err = fmt.Errorf("truncated %s: header promises %d bytes from byte %d, only %d present: %w",
					what, n, start, s.off-start, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		buf = buf[:cap(buf)]
	}
	return buf, nil
}

// end checks that the stream has nothing after what the header promised.
// Reading to the end also makes gzip verify its checksum.
func (s *source) end() error {
	var b [1]byte
	n, err := io.ReadFull(s.r, b[:])
	switch {
	case n > 0:
		return s.errorf(s.off, "trailing data after the %d bytes the header promises", s.off)
	case errors.Is(err, io.EOF):
		return nil
	case s.gz:
		return s.errorf(s.off, "gzip stream damaged after the data: %w", err)
	default:
		return &FormatError{File: s.name, Offset: s.off, Gzip: s.gz, Err: err}
	}
}
