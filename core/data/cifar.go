package data

import (
	"errors"
	"io"
)

// CIFAR images are 32x32 RGB, stored per record as 1024 red, 1024 green,
// then 1024 blue bytes, rows top to bottom: already CHW.
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
)

// ReadCIFAR10 reads one CIFAR-10 binary file (data_batch_1.bin, ...,
// test_batch.bin): records of 3073 bytes, a label byte (0-9) then the
// 3072 pixels. Join several files with Concat. A gzipped stream is
// unpacked transparently.
//
// A trailing partial record, an empty stream or a label of 10 or more is a
// *FormatError naming the file and the record's byte offset.
func ReadCIFAR10(r io.Reader) (*Set, error) {
	return readCIFAR(r, "cifar10", 1, 0, 10)
}

// ReadCIFAR100 reads a CIFAR-100 binary file (train.bin, test.bin):
// records of 3074 bytes, a coarse label (0-19), a fine label (0-99), then
// the 3072 pixels. fine selects the 100 fine classes, else the 20 coarse
// superclasses. Errors are as for ReadCIFAR10.
func ReadCIFAR100(r io.Reader, fine bool) (*Set, error) {
	if fine {
		return readCIFAR(r, "cifar100", 2, 1, 100)
	}
	return readCIFAR(r, "cifar100-coarse", 2, 0, 20)
}

// readCIFAR reads records of nlab label bytes and the pixels, keeping label
// byte pick, into a set called name. Both label bytes are checked, so that a CIFAR-10 file read as
// CIFAR-100 (or the reverse) is an error rather than nonsense.
func readCIFAR(r io.Reader, name string, nlab, pick, classes int) (*Set, error) {
	src, err := newSource(r, name)
	if err != nil {
		return nil, err
	}
	limits := [2]int{20, 100} // CIFAR-100 coarse, fine
	if nlab == 1 {
		limits[0] = 10
	}
	rec := make([]byte, nlab+cifarPixels)
	s := &Set{Name: name, C: 3, H: cifarSide, W: cifarSide, Classes: classes}
	for {
		at := src.off
		n, err := io.ReadFull(src.r, rec)
		src.off += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, src.errorf(at, "partial record %d: %d of %d bytes: %w", s.N, n, len(rec), io.ErrUnexpectedEOF)
		}
		if err != nil {
			return nil, &FormatError{File: src.name, Offset: src.off, Gzip: src.gz, Err: err}
		}
		for j := range nlab {
			if int(rec[j]) >= limits[j] {
				return nil, src.errorf(at+int64(j), "label %d of record %d is not below %d classes", rec[j], s.N, limits[j])
			}
		}
		if len(s.Pixels)+cifarPixels > maxBytes {
			return nil, src.errorf(at, "more than %d bytes of pixels", maxBytes)
		}
		s.Labels = append(s.Labels, rec[pick])
		s.Pixels = append(s.Pixels, rec[nlab:]...)
		s.N++
	}
	if s.N == 0 {
		return nil, src.errorf(0, "no records")
	}
	return s, nil
}
