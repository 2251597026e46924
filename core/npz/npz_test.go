package npz

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// goldenArrays are the arrays of testdata/golden*.npz, as Reader should
// return them; testdata/npcheck.py writes them with NumPy.
var goldenArrays = []Array{
	{Name: "w/conv.weight", Dtype: "<f4", Shape: []int{2, 3}, Float32: []float32{-0.5, -0.25, 0, 0.25, 0.5, 0.75}},
	{Name: "cells.0.edges.1<-0.3.op.1.weight", Dtype: "<f4", Shape: []int{2, 1, 1, 2},
		Float32: []float32{1.5, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1))}},
	// float64 is rounded to float32, 1e300 to +Inf.
	{Name: "f8", Dtype: "<f8", Shape: []int{3}, Float32: []float32{0.1, float32(math.Inf(1)), -2.5}},
	{Name: "i8", Dtype: "<i8", Shape: []int{2, 2}, Int64: []int64{-1, 1 << 62, math.MinInt64, 7}},
	{Name: "i4", Dtype: "<i4", Shape: []int{3}, Int64: []int64{math.MinInt32, 0, math.MaxInt32}},
	{Name: "u1", Dtype: "|u1", Shape: []int{4}, Int64: []int64{0, 1, 128, 255}},
	{Name: "b1", Dtype: "|b1", Shape: []int{3}, Int64: []int64{1, 0, 1}},
	{Name: "scalar", Dtype: "<f4", Shape: []int{}, Float32: []float32{3.25}},
	{Name: "empty", Dtype: "<f4", Shape: []int{0, 3}, Float32: []float32{}},
	{Name: "probe/input", Dtype: "<f4", Shape: []int{1, 3, 2, 2}, Float32: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
}

// sameArray reports how got differs from want, comparing floats by bits
// so that -0, infinities and NaN payloads count.
func sameArray(got, want *Array) string {
	switch {
	case got.Name != want.Name:
		return "name " + got.Name
	case got.Dtype != want.Dtype:
		return "dtype " + got.Dtype
	case got.Shape == nil || !slices.Equal(got.Shape, want.Shape):
		return "shape " + formatShape(got.Shape)
	case (got.Float32 == nil) != (want.Float32 == nil) || (got.Int64 == nil) != (want.Int64 == nil):
		return "wrong value slice set"
	case !slices.Equal(got.Int64, want.Int64):
		return "int values differ"
	case len(got.Float32) != len(want.Float32):
		return "float count differs"
	}
	for i := range got.Float32 {
		if math.Float32bits(got.Float32[i]) != math.Float32bits(want.Float32[i]) {
			return "float values differ"
		}
	}
	return ""
}

func readGolden(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range goldenArrays {
		want = append(want, a.Name)
	}
	if got := r.Names(); !slices.Equal(got, want) {
		t.Fatalf("%s: Names() = %q, want %q", path, got, want)
	}
	for i := range goldenArrays {
		w := &goldenArrays[i]
		a, err := r.Array(w.Name)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if d := sameArray(a, w); d != "" {
			t.Errorf("%s: array %q: %s: got %+v", path, w.Name, d, a)
		}
	}
}

// TestGolden reads files NumPy wrote (kept in testdata, so that it runs
// without Python).
func TestGolden(t *testing.T) {
	for _, f := range []string{"golden.npz", "golden_compressed.npz"} {
		readGolden(t, filepath.Join("testdata", f))
	}
	for _, c := range []struct{ file, err string }{
		{"golden_v1.npy", ""},
		{"golden_v2.npy", ""},
		{"golden_v3.npy", ""},
		{"golden_fortran.npy", "fortran_order True not supported"},
		{"golden_bigendian.npy", `big-endian dtype ">f4" not supported`},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		a, err := ReadNPY(bytes.NewReader(b))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.file, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		a.Name = goldenArrays[0].Name
		if d := sameArray(a, &goldenArrays[0]); d != "" {
			t.Errorf("%s: %s", c.file, d)
		}
	}
}

// written are arrays of the two dtypes Writer writes, with names like the
// supernet's state_dict keys.
var written = []Array{
	{Name: "stem.0.weight", Dtype: "<f4", Shape: []int{2, 3, 1, 1},
		Float32: []float32{1, -2, 0.5, float32(math.Copysign(0, -1)), float32(math.Inf(1)), math.Float32frombits(0x7fc00001)}},
	{Name: "cells.0.edges.1<-0.3.op.1.bias", Dtype: "<f4", Shape: []int{3}, Float32: []float32{0.1, 0.2, 0.3}},
	{Name: "grad/classifier.bias", Dtype: "<f4", Shape: []int{0}, Float32: []float32{}},
	{Name: "probe/target", Dtype: "<i8", Shape: []int{4}, Int64: []int64{0, 9, -1, math.MaxInt64}},
	{Name: "probe/n", Dtype: "<i8", Shape: []int{}, Int64: []int64{4}},
	{Name: "big", Dtype: "<f4", Shape: []int{3, 7000}, Float32: ramp(21000)}, // more than one write chunk
}

func ramp(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i) / 7
	}
	return v
}

func writeAll(t *testing.T, arrays []Array) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, a := range arrays {
		var err error
		if a.Dtype == "<i8" {
			err = w.Int64(a.Name, a.Shape, a.Int64)
		} else {
			err = w.Float32(a.Name, a.Shape, a.Float32)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	b := writeAll(t, written)
	if again := writeAll(t, written); !bytes.Equal(b, again) {
		t.Error("writing the same arrays twice gave different bytes")
	}
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range written {
		names = append(names, a.Name)
	}
	if got := r.Names(); !slices.Equal(got, names) {
		t.Fatalf("Names() = %q, want %q", got, names)
	}
	for i := range written {
		a, err := r.Array(written[i].Name)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameArray(a, &written[i]); d != "" {
			t.Errorf("%s: %s", written[i].Name, d)
		}
	}
	// The data of every entry starts at a multiple of 64 bytes.
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var pre [10]byte
		if _, err := rc.Read(pre[:]); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if n := 10 + int(binary.LittleEndian.Uint16(pre[8:])); n%64 != 0 || f.Method != zip.Store {
			t.Errorf("%s: data at byte %d, method %d; want a multiple of 64, stored", f.Name, n, f.Method)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
		n     int
		err   string
	}{
		{"a", []int{2, 3}, 5, `npz: array "a": shape (2, 3) needs 6 values, have 5`},
		{"a", nil, 0, "shape () needs 1 values, have 0"},
		{"a", []int{-1}, 0, "negative or overflowing"},
		{"a", []int{1 << 40, 1 << 40}, 0, "negative or overflowing"},
		{"a", make([]int, 65), 0, "65 dimensions"},
		{"", []int{1}, 1, "name is empty"},
		{"\xff", []int{1}, 1, "not valid UTF-8"},
		{"dup", []int{1}, 1, `array "dup" written twice`},
	} {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := w.Float32("dup", []int{1}, []float32{1}); err != nil {
			t.Fatal(err)
		}
		err := w.Float32(c.name, c.shape, make([]float32, c.n))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Float32(%q, %v, %d values) error = %v, want %q", c.name, c.shape, c.n, err, c.err)
		}
		// A rejected array leaves the archive intact.
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || !slices.Equal(r.Names(), []string{"dup"}) {
			t.Errorf("after the rejected array: %v, %v", err, r)
		}
		if err := w.Int64("late", nil, []int64{1}); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("writing after Close: %v", err)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriterSticky(t *testing.T) {
	w := NewWriter(&failWriter{n: 100})
	err := w.Float32("x", []int{1000}, make([]float32, 1000))
	if err == nil || !strings.Contains(err.Error(), `writing array "x": disk full`) {
		t.Fatalf("error = %v", err)
	}
	if err2 := w.Int64("y", nil, []int64{1}); err2 != err {
		t.Errorf("next write: %v, want the first error", err2)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("Close: %v, want the first error", err2)
	}
}

// npy assembles a .npy stream: version, header text and data.
func npy(major byte, header string, data []byte) []byte {
	b := []byte(magic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func hdr(descr, shape string) string {
	return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n"
}

func TestReadNPYErrors(t *testing.T) {
	d48 := make([]byte, 48)
	for _, c := range []struct {
		name string
		in   []byte
		part string
		off  int64
		msg  string
	}{
		{"empty", nil, "magic", 0, "truncated: 0 bytes"},
		{"bad magic", []byte("PK\x03\x04\x00\x00\x00\x00\x00\x00"), "magic", 0, "not a .npy array"},
		{"bad version", npy(4, "", nil), "magic", 6, "version 4.0 not supported"},
		{"truncated length", []byte(magic + "\x01\x00\x05"), "header", 8, "truncated header length: 1 of 2"},
		{"huge header length", []byte(magic + "\x02\x00\xff\xff\xff\xff{"), "header", 12, "header length 4294967295 exceeds"},
		{"truncated header", npy(1, hdr("<f4", "(3,)"), nil)[:40], "header", 10, "truncated: header length 58, have 30"},
		{"lying shape", npy(1, hdr("<f4", "(3, 4)"), d48[:40]), "data", 70, "shape (3, 4) needs 48 bytes of data, have 40"},
		{"trailing data", npy(1, hdr("<f4", "(3, 4)"), make([]byte, 49)), "data", 118, "unexpected bytes after the 48 bytes"},
		{"overflowing shape", npy(1, hdr("<f8", "(4294967296, 4294967296)"), nil), "header", 10, "overflows"},
		{"dimension out of range", npy(1, hdr("<f8", "(99999999999999999999,)"), nil), "header", 61, "dimension 99999999999999999999 out of range"},
		{"negative dimension", npy(1, hdr("<f4", "(-3,)"), nil), "header", 61, "want a non-negative integer"},
		{"not a tuple", npy(1, hdr("<f4", "(3)"), nil), "header", 60, "want (n,)"},
		{"too many dims", npy(1, hdr("<f4", "("+strings.Repeat("1, ", 65)+")"), nil), "header", 60, "more than 64 dimensions"},
		{"unsupported dtype", npy(1, hdr("<c8", "(3,)"), nil), "header", 10, `dtype "<c8" not supported`},
		{"big-endian", npy(1, hdr(">i8", "(3,)"), nil), "header", 10, `big-endian dtype ">i8"`},
		{"structured", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", nil), "header", 20, "structured dtype"},
		{"fortran", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", d48), "header", 10, "fortran_order True"},
		{"missing key", npy(1, "{'descr': '<f4', 'shape': (3,), }", nil), "header", 10, `lacks key "fortran_order"`},
		{"extra key", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", nil), "header", 66, `unexpected key "x"`},
		{"duplicate key", npy(1, "{'descr': '<f4', 'descr': '<f4'}", nil), "header", 27, `key "descr" appears twice`},
		{"unterminated string", npy(1, "{'descr': '<f4", nil), "header", 20, "unterminated string"},
		{"bad bool", npy(1, "{'fortran_order': false}", nil), "header", 28, "want True or False"},
		{"no brace", npy(1, "'descr'", nil), "header", 10, "want '{'"},
		{"text after dict", npy(1, hdr("<f4", "()")+"x", nil), "header", 66, `unexpected "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(c.in))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *FormatError", err)
			}
			if fe.Part != c.part || fe.Offset != c.off || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("error = %v; want %s at byte %d: ...%s...", err, c.part, c.off, c.msg)
			}
		})
	}
}

// zipOf builds an archive holding the given entries, stored, as named.
func zipOf(t *testing.T, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for i := 0; i < len(entries); i += 2 {
		w, err := z.CreateHeader(&zip.FileHeader{Name: entries[i], Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(entries[i+1]))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReaderErrors(t *testing.T) {
	good := string(npy(1, hdr("<f4", "(3, 4)"), make([]byte, 48)))
	short := string(npy(1, hdr("<f4", "(3, 4)"), make([]byte, 40)))
	corrupt := zipOf(t, "a.npy", good)
	corrupt[bytes.Index(corrupt, []byte(magic))+100] ^= 1 // a data byte: the CRC no longer matches
	for _, c := range []struct {
		name     string
		in       []byte
		open     string // error from NewReader
		array    string // entry to read
		arrayErr string // error from Array
	}{
		{name: "not a zip", in: []byte("not a zip file at all"), open: "npz: reading zip directory: zip: not a valid zip file"},
		{name: "not npy", in: zipOf(t, "a.npy", good, "notes.txt", "hi"), open: `entry 1 "notes.txt" is not a .npy array`},
		{name: "duplicate", in: zipOf(t, "a.npy", good, "a.npy", good), open: `entry 1 "a.npy" appears twice`},
		{name: "directory skipped", in: zipOf(t, "probe/", "", "probe/input.npy", good), array: "probe/input"},
		{name: "missing", in: zipOf(t, "a.npy", good), array: "b", arrayErr: `npz: no array "b" in the archive (it has 1)`},
		{name: "lying shape", in: zipOf(t, "probe/input.npy", short), array: "probe/input",
			arrayErr: `npz: entry "probe/input.npy": header at byte 10: shape (3, 4) needs 48 bytes of data, have 40`},
		{name: "too much data", in: zipOf(t, "a.npy", good+"x"), array: "a", arrayErr: "needs 48 bytes of data, have 49"},
		{name: "checksum", in: corrupt, array: "a", arrayErr: `npz: entry "a.npy": data at byte 118: zip: checksum error`},
		{name: "bad header", in: zipOf(t, "x.npy", "\x93NUMPY\x01\x00\xff\x00{}"), array: "x",
			arrayErr: `npz: entry "x.npy": header at byte 10: header length 255 runs past the end of the 12-byte array`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(c.in), int64(len(c.in)))
			if c.open != "" {
				if err == nil || !strings.Contains(err.Error(), c.open) {
					t.Errorf("NewReader error = %v, want %q", err, c.open)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Array(c.array)
			if c.arrayErr == "" {
				if err != nil {
					t.Errorf("Array(%q): %v", c.array, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.arrayErr) {
				t.Errorf("Array(%q) error = %v, want %q", c.array, err, c.arrayErr)
			}
		})
	}
}

// TestTruncatedStored cuts a stored entry's data off the end of the
// file; the directory still claims it.
func TestTruncatedStored(t *testing.T) {
	b := zipOf(t, "a.npy", string(npy(1, hdr("<f4", "(1000,)"), make([]byte, 4000))))
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Claim a smaller file: the entry's data now runs past its end.
	r.size = 1000
	if _, err := r.Array("a"); err == nil || !strings.Contains(err.Error(), "run past the end of the 1000-byte file") {
		t.Errorf("error = %v", err)
	}
}

// numpy returns the path of a Python with NumPy, or skips the test.
func numpy(t *testing.T) string {
	const py = "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import numpy").CombinedOutput(); err != nil {
		t.Skipf("NumPy is not available through %s (%v: %s); the cross-check with NumPy is skipped", py, err, bytes.TrimSpace(out))
	}
	return py
}

// TestNumPyReadsGo checks that np.load reads what Writer writes, with the
// data aligned as the .npy specification asks.
func TestNumPyReadsGo(t *testing.T) {
	py := numpy(t)
	path := filepath.Join(t.TempDir(), "go.npz")
	if err := os.WriteFile(path, writeAll(t, written), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "testdata/npcheck.py", "dump", path).Output()
	if err != nil {
		t.Fatalf("npcheck.py dump: %v", err)
	}
	var got []struct {
		Name    string
		Dtype   string
		Shape   []int
		Fortran bool
		Bits    []int64
		Offset  int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("npcheck.py output: %v", err)
	}
	if len(got) != len(written) {
		t.Fatalf("NumPy read %d arrays, want %d", len(got), len(written))
	}
	for i, w := range written {
		g := got[i]
		bits := w.Int64
		if w.Float32 != nil {
			bits = make([]int64, len(w.Float32))
			for j, v := range w.Float32 {
				bits[j] = int64(int32(math.Float32bits(v)))
			}
		}
		if g.Name != w.Name || g.Dtype != w.Dtype || !slices.Equal(g.Shape, w.Shape) || g.Fortran || !slices.Equal(g.Bits, bits) {
			t.Errorf("NumPy read %s %s %v (fortran %v), want %s %s %v; values equal: %v",
				g.Name, g.Dtype, g.Shape, g.Fortran, w.Name, w.Dtype, w.Shape, slices.Equal(g.Bits, bits))
		}
		if g.Offset%64 != 0 {
			t.Errorf("%s: data at byte %d, not a multiple of 64", g.Name, g.Offset)
		}
	}
}

// TestGoReadsNumPy regenerates the golden files with the installed NumPy
// and reads them, so that a NumPy release that writes differently is
// caught.
func TestGoReadsNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/npcheck.py", "golden", dir).CombinedOutput(); err != nil {
		t.Fatalf("npcheck.py golden: %v: %s", err, out)
	}
	readGolden(t, filepath.Join(dir, "golden.npz"))
	readGolden(t, filepath.Join(dir, "golden_compressed.npz"))
}

// TestShortCompressed reads a deflated entry whose directory claims more
// bytes than its stream holds, header agreeing with the claim: the
// reader must fail without allocating the claimed size.
func TestShortCompressed(t *testing.T) {
	const claimed = 1 << 30
	body := npy(1, hdr("|u1", "(1073741747,)"), make([]byte, 64)) // 77 bytes before the data
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, err := z.CreateHeader(&zip.FileHeader{Name: "big.npy", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	z.Close()
	b := buf.Bytes()
	cd := bytes.Index(b, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(b[cd+24:], claimed) // the uncompressed size
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = r.Array("big")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), `entry "big.npy": data at byte 77: shape (1073741747,) needs 1073741747 bytes of data; the entry ends before its declared 1073741824 bytes`) {
		t.Errorf("error = %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("allocated %d bytes for a 64-byte stream", n)
	}
}
