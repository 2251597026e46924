package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: magic, dims, payload, taken literally so
// that tests can make headers lie.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tinySet is 3 images of 2x3 with labels 0, 9, 4.
func tinySet() *Set {
	pix := make([]uint8, 3*2*3)
	for i := range pix {
		pix[i] = uint8(i * 13)
	}
	return &Set{N: 3, C: 1, H: 2, W: 3, Classes: 10, Pixels: pix, Labels: []uint8{0, 9, 4}}
}

func TestIDXRoundTrip(t *testing.T) {
	want := tinySet()
	var img, lab bytes.Buffer
	if err := WriteIDX(&img, &lab, want); err != nil {
		t.Fatal(err)
	}
	if n := img.Len(); n != 16+18 {
		t.Errorf("image file is %d bytes; want 34", n)
	}
	for _, tc := range []struct {
		name     string
		img, lab []byte
	}{
		{"plain", img.Bytes(), lab.Bytes()},
		{"gzip", gz(t, img.Bytes()), gz(t, lab.Bytes())},
		{"mixed", gz(t, img.Bytes()), lab.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadIDX(bytes.NewReader(tc.img), bytes.NewReader(tc.lab))
			if err != nil {
				t.Fatal(err)
			}
			if !sameData(got, want) {
				t.Errorf("read back %+v; want %+v", got, want)
			}
		})
	}
}

func TestWriteIDXErrors(t *testing.T) {
	rgb := &Set{N: 1, C: 3, H: 1, W: 1, Classes: 10, Pixels: []uint8{1, 2, 3}, Labels: []uint8{0}}
	bad := tinySet()
	bad.Labels[1] = 10
	for _, tc := range []struct {
		name string
		s    *Set
		want string
	}{
		{"channels", rgb, "3 channels"},
		{"invalid", bad, "label 10 of image 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteIDX(io.Discard, io.Discard, tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadIDXErrors(t *testing.T) {
	pix := make([]byte, 3*2*3)
	goodImg := idxBytes(idxImages, []uint32{3, 2, 3}, pix)
	goodLab := idxBytes(idxLabels, []uint32{3}, []byte{0, 9, 4})
	for _, tc := range []struct {
		name     string
		img, lab []byte
		file     string // the FormatError's File
		off      int64  // and Offset
		want     string // part of the message
	}{
		{"empty images", nil, goodLab, "images", 0, "truncated header"},
		{"short header", goodImg[:10], goodLab, "images", 10, "truncated header"},
		{"image magic", idxBytes(0x00000801, []uint32{3, 2, 3}, pix), goodLab, "images", 0, "magic 0x00000801"},
		{"float magic", idxBytes(0x00000d03, []uint32{3, 2, 3}, pix), goodLab, "images", 0, "want 0x00000803"},
		{"label magic", goodImg, idxBytes(idxImages, []uint32{3}, []byte{0, 9, 4}), "labels", 0, "magic 0x00000803"},
		{"zero images", idxBytes(idxImages, []uint32{0, 2, 3}, nil), goodLab, "images", 4, "dimension 0 of the header is 0"},
		{"zero width", idxBytes(idxImages, []uint32{3, 2, 0}, nil), goodLab, "images", 12, "dimension 2"},
		{"truncated pixels", goodImg[:len(goodImg)-1], goodLab, "images", 33, "only 17 present"},
		{"header promises more", idxBytes(idxImages, []uint32{4, 2, 3}, pix), goodLab, "images", 34, "promises 24 bytes from byte 16"},
		{"header promises fewer", idxBytes(idxImages, []uint32{2, 2, 3}, pix), goodLab, "images", 28, "trailing data"},
		{"absurd header", idxBytes(idxImages, []uint32{1 << 31, 1 << 16, 1 << 16}, pix), goodLab, "images", 4, "more than the"},
		{"header product wraps", idxBytes(idxImages, []uint32{1 << 22, 1 << 21, 1 << 21}, pix), goodLab, "images", 4, "more than the"},
		{"largest header", idxBytes(idxImages, []uint32{1<<32 - 1, 1<<32 - 1, 1<<32 - 1}, pix), goodLab, "images", 4, "more than the"},
		{"count mismatch", goodImg, idxBytes(idxLabels, []uint32{2}, []byte{0, 9}), "labels", 4, "declares 2 labels but images holds 3 images"},
		{"truncated labels", goodImg, goodLab[:10], "labels", 10, "only 2 present"},
		{"extra labels", goodImg, append(goodLab[:11:11], 1), "labels", 11, "trailing data"},
		{"label out of range", goodImg, idxBytes(idxLabels, []uint32{3}, []byte{0, 10, 4}), "labels", 9, "label 10 of image 1"},
		{"gzip truncated", gz(t, goodImg)[:20], goodLab, "images", 0, "EOF"},
		{"gzip then garbage", append(gz(t, goodImg), 0, 1, 2), goodLab, "images", 34, "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadIDX(bytes.NewReader(tc.img), bytes.NewReader(tc.lab))
			if err == nil {
				t.Fatalf("got a set of %d images; want an error", s.N)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if fe.File != tc.file || (fe.Offset != tc.off && !fe.Gzip) {
				t.Errorf("error at %s byte %d; want %s byte %d (%v)", fe.File, fe.Offset, tc.file, tc.off, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestReadIDXNamesFile checks that a reader's Name (an *os.File's path)
// is what errors quote.
func TestReadIDXNamesFile(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "x-images-idx3-ubyte.gz")
	lab := filepath.Join(dir, "x-labels-idx1-ubyte")
	if err := os.WriteFile(img, gz(t, idxBytes(idxImages, []uint32{2, 1, 1}, []byte{1, 2})), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lab, idxBytes(idxLabels, []uint32{2}, []byte{3, 77}), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Open(img)
	defer fi.Close()
	fl, _ := os.Open(lab)
	defer fl.Close()
	_, err := ReadIDX(fi, fl)
	want := "data: " + lab + ": byte 9: label 77 of image 1 is not below 10 classes"
	if err == nil || err.Error() != want {
		t.Errorf("got %v; want %s", err, want)
	}
}

// TestReadIDXLyingHeaderAllocation checks that a header promising 2 GiB
// with a few bytes behind it costs about one read chunk, not 2 GiB.
func TestReadIDXLyingHeaderAllocation(t *testing.T) {
	img := idxBytes(idxImages, []uint32{1 << 15, 1 << 8, 1 << 8}, make([]byte, 100))
	lab := idxBytes(idxLabels, []uint32{1 << 15}, nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDX(bytes.NewReader(img), bytes.NewReader(lab))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v; want a truncation error", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4*chunk {
		t.Errorf("allocated %d bytes reading a 116-byte file", n)
	}
}
