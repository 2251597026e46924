package wire

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func at(off int64) string { return fmt.Sprintf("test byte %d", off) }

func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Text("kind/1")
	e.Uvarint(300)
	e.U64(math.MaxUint64)
	e.F64(-0.5)
	e.Byte(7)
	e.Bool(true)
	e.Bool(false)
	e.Bytes([]byte{1, 2, 3})
	e.F64s([]float64{1, math.Inf(-1)})
	e.CountedF64s([]float64{math.NaN()})
	e.CountedF32s([]float32{2.5, -1})
	e.CountedF64s(nil)
	b := e.Take()
	if e.B != nil {
		t.Fatal("Take left bytes in the encoder")
	}

	d := NewDecoder(b, 0, at)
	d.Tag("kind/1", "record")
	if v := d.Uvarint(); v != 300 {
		t.Errorf("Uvarint = %d", v)
	}
	if v := d.U64(); v != math.MaxUint64 {
		t.Errorf("U64 = %d", v)
	}
	if v := d.F64(); v != -0.5 {
		t.Errorf("F64 = %v", v)
	}
	if v := d.Byte(); v != 7 {
		t.Errorf("Byte = %d", v)
	}
	if a, b := d.Bool(), d.Bool(); !a || b {
		t.Errorf("Bool, Bool = %v, %v", a, b)
	}
	if v := d.Bytes(); string(v) != "\x01\x02\x03" {
		t.Errorf("Bytes = %v", v)
	}
	if v := d.F64s(2); v[0] != 1 || !math.IsInf(v[1], -1) {
		t.Errorf("F64s = %v", v)
	}
	if v := d.CountedF64s(1, "values"); len(v) != 1 || !math.IsNaN(v[0]) {
		t.Errorf("CountedF64s = %v", v)
	}
	if v := d.CountedF32s(2, "values"); len(v) != 2 || v[0] != 2.5 || v[1] != -1 {
		t.Errorf("CountedF32s = %v", v)
	}
	if v := d.CountedF64s(0, "values"); len(v) != 0 {
		t.Errorf("empty CountedF64s = %v", v)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

// Each error names the offset of the value at fault, after the base the
// caller gave, in the caller's words.
func TestErrors(t *testing.T) {
	tag := func(s string) []byte { var e Encoder; e.Text(s); return e.B }
	cases := []struct {
		name string
		in   []byte
		read func(d *Decoder)
		want string
	}{
		{"truncated", []byte{1, 2, 3}, func(d *Decoder) { d.Byte(); d.U64() }, "test byte 101: truncated: want 8 bytes, 2 left"},
		{"bad varint", []byte{0xff, 0xff}, func(d *Decoder) { d.Uvarint() }, "test byte 100: bad or truncated varint"},
		{"above max", []byte{0, 9}, func(d *Decoder) { d.Byte(); d.Int(8, "count") }, "test byte 101: count 9 is above 8"},
		{"boolean", []byte{1, 2}, func(d *Decoder) { d.Bool(); d.Bool() }, "test byte 101: boolean 2"},
		{"tag", tag("pa/1"), func(d *Decoder) { d.Tag("da/1", "state") }, `test byte 100: state is "pa/1", want "da/1"`},
		{"length past the end", []byte{5, 1}, func(d *Decoder) { d.Bytes() }, "test byte 100: length 5 is above 2"},
		{"trailing", []byte{1, 2}, func(d *Decoder) { d.Byte() }, "test byte 101: 1 trailing bytes"},
		{"first error sticks", []byte{7}, func(d *Decoder) { d.Bool(); d.U64(); d.Failf("later") }, "test byte 100: boolean 7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(c.in, 100, at)
			c.read(d)
			err := d.Finish()
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzDecoder reads arbitrary bytes as a mixed record: never a panic, and
// an error always names a byte offset.
func FuzzDecoder(f *testing.F) {
	var e Encoder
	e.Text("x/1")
	e.CountedF32s([]float32{1, 2})
	e.Bool(true)
	f.Add(e.B)
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b, 0, at)
		d.Tag("x/1", "record")
		d.CountedF32s(1<<20, "values")
		d.Bool()
		if err := d.Finish(); err != nil && !strings.HasPrefix(err.Error(), "test byte ") {
			t.Fatalf("error without an offset: %v", err)
		}
	})
}

func ExampleDecoder() {
	var e Encoder
	e.Text("point/1")
	e.F64(1.5)
	e.F64(-2)

	where := func(off int64) string { return fmt.Sprintf("point byte %d", off) }
	d := NewDecoder(e.B, 0, where)
	d.Tag("point/1", "record")
	x, y := d.F64(), d.F64()
	fmt.Println(x, y, d.Finish())

	d = NewDecoder(e.B[:12], 0, where)
	d.Tag("point/1", "record")
	d.F64()
	d.F64()
	fmt.Println(d.Finish())
	// Output:
	// 1.5 -2 <nil>
	// point byte 8: truncated: want 8 bytes, 4 left
}
