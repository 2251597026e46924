package data

import (
	"bytes"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Set)
		want string // "" for valid
	}{
		{"valid", func(*Set) {}, ""},
		{"no images", func(s *Set) { s.N = 0 }, "must be positive"},
		{"no classes", func(s *Set) { s.Classes = 0 }, "0 classes"},
		{"too many classes", func(s *Set) { s.Classes = 257 }, "257 classes"},
		{"short pixels", func(s *Set) { s.Pixels = s.Pixels[1:] }, "17 pixel bytes"},
		{"short labels", func(s *Set) { s.Labels = s.Labels[1:] }, "2 labels for 3 images"},
		{"label range", func(s *Set) { s.Classes = 9 }, "label 9 of image 1 is not below 9 classes"},
		{"huge", func(s *Set) { s.N = 1 << 40 }, "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tinySet()
			tc.edit(s)
			err := s.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v; want %q", err, tc.want)
			}
		})
	}
}

// sameData reports whether a and b hold the same images and labels in
// the same shape (names aside): what digest.Of tells apart.
func sameData(a, b *Set) bool {
	return a.N == b.N && a.C == b.C && a.H == b.H && a.W == b.W && a.Classes == b.Classes &&
		bytes.Equal(a.Pixels, b.Pixels) && bytes.Equal(a.Labels, b.Labels)
}

func TestSelectConcat(t *testing.T) {
	s := tinySet()
	sel := s.Select([]int{2, 0, 2})
	if err := sel.Validate(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sel.Labels, []uint8{4, 0, 4}) || !bytes.Equal(sel.Image(1), s.Image(0)) || !bytes.Equal(sel.Image(2), s.Image(2)) {
		t.Errorf("Select gave %+v", sel)
	}
	all, err := Concat(s, sel)
	if err != nil {
		t.Fatal(err)
	}
	if all.N != 6 || !bytes.Equal(all.Image(3), s.Image(2)) || all.Labels[5] != 4 {
		t.Errorf("Concat gave %+v", all)
	}
	if _, err := Concat(); err == nil {
		t.Error("Concat of nothing: no error")
	}
	wide := &Set{Name: "wide", N: 1, C: 1, H: 2, W: 4, Classes: 10, Pixels: make([]uint8, 8), Labels: []uint8{0}}
	if _, err := Concat(s, wide); err == nil || !strings.Contains(err.Error(), `set "wide" is 1x2x4`) {
		t.Errorf("Concat of different shapes: %v", err)
	}
}
