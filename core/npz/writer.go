package npz

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"
)

// epoch is the modification time stamped on every entry: the earliest a
// zip can hold, so that the same arrays always give the same bytes.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Writer writes arrays into an .npz archive, as np.savez does: each array
// is an uncompressed zip entry named name + ".npy" holding a version 1.0
// .npy stream whose data starts at a multiple of 64 bytes.
type Writer struct {
	z      *zip.Writer
	names  map[string]bool
	err    error // sticky: after a failed write the archive is unusable
	closed bool
}

// NewWriter returns a Writer that writes an archive to w. The archive is
// complete only after Close.
func NewWriter(w io.Writer) *Writer {
	return &Writer{z: zip.NewWriter(w), names: map[string]bool{}}
}

// Float32 writes data, row-major with the given shape, as a "<f4" array
// named name; np.load(f)[name] gives it back. An empty shape is a scalar.
func (w *Writer) Float32(name string, shape []int, data []float32) error {
	ew, err := w.entry(name, "<f4", shape, len(data))
	if err != nil {
		return err
	}
	var buf [chunkBytes]byte
	for len(data) > 0 {
		k := min(len(data), len(buf)/4)
		for i, v := range data[:k] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := ew.Write(buf[:4*k]); err != nil {
			return w.fail(name, err)
		}
		data = data[k:]
	}
	return nil
}

// Int64 writes data, row-major with the given shape, as an "<i8" array
// named name. An empty shape is a scalar.
func (w *Writer) Int64(name string, shape []int, data []int64) error {
	ew, err := w.entry(name, "<i8", shape, len(data))
	if err != nil {
		return err
	}
	var buf [chunkBytes]byte
	for len(data) > 0 {
		k := min(len(data), len(buf)/8)
		for i, v := range data[:k] {
			binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
		}
		if _, err := ew.Write(buf[:8*k]); err != nil {
			return w.fail(name, err)
		}
		data = data[k:]
	}
	return nil
}

// entry checks an array before anything is written, so that a bad call
// leaves the archive intact, then starts its entry and writes the header.
func (w *Writer) entry(name, descr string, shape []int, n int) (io.Writer, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.closed {
		return nil, fmt.Errorf("npz: array %q: writer is closed", name)
	}
	switch {
	case name == "":
		return nil, errors.New("npz: array name is empty")
	case !utf8.ValidString(name):
		return nil, fmt.Errorf("npz: array name %q is not valid UTF-8", name)
	case w.names[name]:
		return nil, fmt.Errorf("npz: array %q written twice", name)
	case len(shape) > maxDims:
		return nil, fmt.Errorf("npz: array %q: %d dimensions, at most %d supported", name, len(shape), maxDims)
	}
	want, _, ok := count(shape, 8)
	if !ok {
		return nil, fmt.Errorf("npz: array %q: shape %v has a negative or overflowing dimension", name, shape)
	}
	if want != int64(n) {
		return nil, fmt.Errorf("npz: array %q: shape %s needs %d values, have %d", name, formatShape(shape), want, n)
	}
	w.names[name] = true
	ew, err := w.z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store, Modified: epoch})
	if err != nil {
		return nil, w.fail(name, err)
	}
	if _, err := ew.Write(npyHeader(descr, shape)); err != nil {
		return nil, w.fail(name, err)
	}
	return ew, nil
}

// fail records a write error; the archive cannot be completed after it.
func (w *Writer) fail(name string, err error) error {
	w.err = fmt.Errorf("npz: writing array %q: %w", name, err)
	return w.err
}

// Close finishes the archive by writing its central directory. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.z.Close(); err != nil {
		w.err = fmt.Errorf("npz: finishing archive: %w", err)
		return w.err
	}
	return nil
}
