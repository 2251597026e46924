package data

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// The corpora under testdata/fuzz are regression seeds: valid files,
// gzipped files, and headers that lie about their size.

// FuzzReadIDX checks that ReadIDX never panics, fails only with a
// *FormatError, and that whatever it accepts is a valid set that survives
// a WriteIDX round trip.
func FuzzReadIDX(f *testing.F) {
	img := idxBytes(idxImages, []uint32{2, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7})
	lab := idxBytes(idxLabels, []uint32{2}, []byte{9, 0})
	f.Add(img, lab)
	f.Add(gz(f, img), gz(f, lab))
	f.Add(img[:len(img)-1], lab)
	f.Add(idxBytes(idxImages, []uint32{1 << 20, 1 << 5, 1 << 5}, nil), lab)
	f.Fuzz(func(t *testing.T, img, lab []byte) {
		s, err := ReadIDX(bytes.NewReader(img), bytes.NewReader(lab))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T, not a *FormatError", err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ReadIDX accepted an invalid set: %v", err)
		}
		var img2, lab2 bytes.Buffer
		if err := WriteIDX(&img2, &lab2, s); err != nil {
			t.Fatal(err)
		}
		back, err := ReadIDX(&img2, &lab2)
		if err != nil {
			t.Fatalf("rereading what WriteIDX wrote: %v", err)
		}
		if !sameData(back, s) {
			t.Fatal("round trip changed the set")
		}
	})
}

// FuzzReadCIFAR checks ReadCIFAR10 and ReadCIFAR100 (fine and coarse, by
// kind%3) the same way, and that an accepted plain file is whole records.
func FuzzReadCIFAR(f *testing.F) {
	rec := cifarRecord(7, 3, 42)
	f.Add(rec[1:], uint8(0))
	f.Add(rec, uint8(1))
	f.Add(rec, uint8(2))
	f.Add(gz(f, rec[1:]), uint8(0))
	f.Add(append(rec[1:], 1, 2, 3), uint8(0))
	f.Add([]byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, kind uint8) {
		read := []func(io.Reader) (*Set, error){
			ReadCIFAR10,
			func(r io.Reader) (*Set, error) { return ReadCIFAR100(r, true) },
			func(r io.Reader) (*Set, error) { return ReadCIFAR100(r, false) },
		}[kind%3]
		s, err := read(bytes.NewReader(in))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T, not a *FormatError", err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid set: %v", err)
		}
		rec := 3073
		if kind%3 != 0 {
			rec = 3074
		}
		if len(in) > 1 && in[0] != 0x1f && len(in) != s.N*rec {
			t.Fatalf("accepted %d bytes as %d records of %d", len(in), s.N, rec)
		}
	})
}
