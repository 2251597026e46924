package npz

import (
	"bytes"
	"testing"
)

// checkArray checks the invariants of a successfully read array: the
// value count matches the shape, and exactly one value slice is set.
func checkArray(t *testing.T, a *Array) {
	t.Helper()
	n, _, ok := count(a.Shape, 1)
	if !ok {
		t.Fatalf("accepted shape %v", a.Shape)
	}
	switch {
	case a.Float32 != nil && a.Int64 == nil:
		if int64(len(a.Float32)) != n {
			t.Fatalf("shape %v with %d floats", a.Shape, len(a.Float32))
		}
	case a.Int64 != nil && a.Float32 == nil:
		if int64(len(a.Int64)) != n {
			t.Fatalf("shape %v with %d ints", a.Shape, len(a.Int64))
		}
	default:
		t.Fatalf("float32 set %v, int64 set %v", a.Float32 != nil, a.Int64 != nil)
	}
}

// FuzzNPY checks that ReadNPY never panics, that memory stays bounded by
// the input (a lying header must not allocate; the fuzzer's memory limit
// catches that), and that what it accepts survives a write and re-read.
// Regression seeds live in testdata/fuzz/FuzzNPY.
func FuzzNPY(f *testing.F) {
	f.Add(npy(1, hdr("<f4", "(2, 3)"), make([]byte, 24)))
	f.Add(npy(3, hdr("|b1", "()"), []byte{1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadNPY(bytes.NewReader(b))
		if err != nil {
			return
		}
		checkArray(t, a)
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if a.Float32 != nil {
			err = w.Float32("a", a.Shape, a.Float32)
		} else {
			err = w.Int64("a", a.Shape, a.Int64)
		}
		if err != nil {
			t.Fatalf("writing back an accepted array: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		back, err := r.Array("a")
		if err != nil {
			t.Fatalf("re-reading an accepted array: %v", err)
		}
		checkArray(t, back)
	})
}

// FuzzReader checks that NewReader and Array never panic and stay within
// bounded memory on any archive. Regression seeds live in
// testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Float32("w", []int{2}, []float32{1, 2})
	w.Int64("probe/target", nil, []int64{3})
	w.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, name := range r.Names() {
			if a, err := r.Array(name); err == nil {
				checkArray(t, a)
			}
		}
	})
}
