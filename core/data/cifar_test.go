package data

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// cifarRecord is one record with the given label bytes and every pixel of
// channel c equal to fill+c.
func cifarRecord(fill byte, labels ...byte) []byte {
	b := append([]byte(nil), labels...)
	for c := range 3 {
		b = append(b, bytes.Repeat([]byte{fill + byte(c)}, 1024)...)
	}
	return b
}

func TestReadCIFAR(t *testing.T) {
	ten := append(cifarRecord(10, 3), cifarRecord(20, 9)...)
	hundred := append(cifarRecord(10, 19, 99), cifarRecord(20, 0, 42)...)
	for _, tc := range []struct {
		name    string
		read    func(io.Reader) (*Set, error)
		in      []byte
		classes int
		labels  []uint8
	}{
		{"cifar10", ReadCIFAR10, ten, 10, []uint8{3, 9}},
		{"cifar10 gzip", ReadCIFAR10, gz(t, ten), 10, []uint8{3, 9}},
		{"cifar100", func(r io.Reader) (*Set, error) { return ReadCIFAR100(r, true) }, hundred, 100, []uint8{99, 42}},
		{"cifar100-coarse", func(r io.Reader) (*Set, error) { return ReadCIFAR100(r, false) }, hundred, 20, []uint8{19, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.read(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.N != 2 || s.C != 3 || s.H != 32 || s.W != 32 || s.Classes != tc.classes {
				t.Errorf("got %dx%dx%dx%d with %d classes; want 2x3x32x32 with %d", s.N, s.C, s.H, s.W, s.Classes, tc.classes)
			}
			if !bytes.Equal(s.Labels, tc.labels) {
				t.Errorf("labels %v; want %v", s.Labels, tc.labels)
			}
			// Image 1, channel 2 (blue), last pixel.
			if p := s.Pixels[1*3072+2*1024+1023]; p != 22 {
				t.Errorf("pixel (1, 2, 31, 31) = %d; want 22", p)
			}
		})
	}
}

func TestReadCIFARErrors(t *testing.T) {
	rec10 := cifarRecord(0, 1)
	rec100 := cifarRecord(0, 1, 2)
	cifar100 := func(r io.Reader) (*Set, error) { return ReadCIFAR100(r, true) }
	for _, tc := range []struct {
		name string
		read func(io.Reader) (*Set, error)
		in   []byte
		off  int64
		want string
	}{
		{"empty", ReadCIFAR10, nil, 0, "no records"},
		{"partial record", ReadCIFAR10, append(rec10, rec10[:100]...), 3073, "partial record 1: 100 of 3073 bytes"},
		{"one byte", ReadCIFAR10, []byte{3}, 0, "partial record 0: 1 of 3073"},
		{"label 10", ReadCIFAR10, append(rec10, cifarRecord(0, 10)...), 3073, "label 10 of record 1 is not below 10 classes"},
		{"coarse label 20", cifar100, cifarRecord(0, 20, 5), 0, "label 20 of record 0 is not below 20"},
		{"fine label 100", cifar100, append(rec100, cifarRecord(0, 5, 100)...), 3075, "label 100 of record 1 is not below 100"},
		{"cifar10 read as cifar100", cifar100, append(rec10, rec10...), 3074, "partial record 1: 3072 of 3074 bytes"},
		{"gzip truncated", ReadCIFAR10, gz(t, append(rec10, rec10...))[:40], 0, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.read(bytes.NewReader(tc.in))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got set %v, error %v; want a *FormatError", s, err)
			}
			if fe.Offset != tc.off && !fe.Gzip {
				t.Errorf("error at byte %d; want %d (%v)", fe.Offset, tc.off, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
