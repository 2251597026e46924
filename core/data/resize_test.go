package data

import (
	"bytes"
	"testing"
)

func TestResize(t *testing.T) {
	for _, tc := range []struct {
		name       string
		h, w       int
		in         []uint8 // one plane, h x w given by the case
		inH, inW   int
		out        []uint8
		outH, outW int
	}{
		{
			// 3 -> 2: output pixel 0 covers all of source pixel 0 and half
			// of pixel 1 (weights 2:1 in thirds of an output pixel), so
			// the 2-D weights are 4,2,2,1 over 9.
			name: "3x3 to 2x2 fractional",
			in:   []uint8{0, 30, 60, 90, 120, 150, 180, 210, 240}, inH: 3, inW: 3,
			out: []uint8{40, 80, 160, 200}, outH: 2, outW: 2,
		},
		{
			// (2*10+20)/3 = 13.33 and (20+2*31)/3 = 27.33.
			name: "1x3 to 1x2 rounding down",
			in:   []uint8{10, 20, 31}, inH: 1, inW: 3,
			out: []uint8{13, 27}, outH: 1, outW: 2,
		},
		{
			name: "half rounds up",
			in:   []uint8{0, 1}, inH: 1, inW: 2,
			out: []uint8{1}, outH: 1, outW: 1,
		},
		{
			name: "4x4 to 2x2 whole blocks",
			in:   []uint8{1, 3, 10, 20, 5, 7, 30, 40, 0, 0, 255, 255, 0, 4, 255, 255}, inH: 4, inW: 4,
			out: []uint8{4, 25, 1, 255}, outH: 2, outW: 2,
		},
		{
			name: "identity",
			in:   []uint8{9, 8, 7, 6, 5, 4}, inH: 2, inW: 3,
			out: []uint8{9, 8, 7, 6, 5, 4}, outH: 2, outW: 3,
		},
		{
			// 2 -> 3: output 1 straddles both source pixels equally.
			name: "enlarge",
			in:   []uint8{0, 100}, inH: 1, inW: 2,
			out: []uint8{0, 50, 100}, outH: 1, outW: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Set{N: 1, C: 1, H: tc.inH, W: tc.inW, Classes: 1, Pixels: tc.in, Labels: []uint8{0}}
			got := Resize(s, tc.outH, tc.outW)
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Pixels, tc.out) {
				t.Errorf("got %v; want %v", got.Pixels, tc.out)
			}
		})
	}
}

// TestResizeFashion checks the default 28 -> 16 shrink on whole planes:
// constants stay constant, and planes and labels stay apart.
func TestResizeFashion(t *testing.T) {
	s := &Set{N: 2, C: 2, H: 28, W: 28, Classes: 5, Labels: []uint8{4, 1}}
	for _, v := range []uint8{0, 255, 77, 128} {
		s.Pixels = append(s.Pixels, bytes.Repeat([]byte{v}, 28*28)...)
	}
	got := Resize(s, 16, 16)
	for p, v := range []uint8{0, 255, 77, 128} {
		plane := got.Pixels[p*256 : (p+1)*256]
		if !bytes.Equal(plane, bytes.Repeat([]byte{v}, 256)) {
			t.Errorf("plane %d: got %v; want all %d", p, plane, v)
		}
	}
	if !bytes.Equal(got.Labels, s.Labels) {
		t.Errorf("labels %v; want %v", got.Labels, s.Labels)
	}
	// In units of 1/(28*16) of a row, source pixel i spans [16i, 16i+16)
	// and output pixel o spans [28o, 28o+28): output 0 takes all 16 of
	// source 0 and 12 of source 1.
	ws := boxWeights(28, 16)
	if got := ws[0]; len(got) != 2 || got[0] != (boxWeight{0, 16}) || got[1] != (boxWeight{1, 12}) {
		t.Errorf("weights of output 0 = %v; want [{0 16} {1 12}]", got)
	}
	for o, w := range ws {
		var sum uint64
		for _, x := range w {
			sum += x.w
		}
		if sum != 28 {
			t.Errorf("weights of output %d add up to %d; want 28", o, sum)
		}
	}
}
