package digest_test

import (
	"testing"

	"pada/core/data"
	"pada/core/data/digest"
	"pada/public"
)

// tinySet is core/data's test set of the same name.
func tinySet() *data.Set {
	pix := make([]uint8, 3*2*3)
	for i := range pix {
		pix[i] = uint8(i * 13)
	}
	return &data.Set{N: 3, C: 1, H: 2, W: 3, Classes: 10, Pixels: pix, Labels: []uint8{0, 9, 4}}
}

func TestOf(t *testing.T) {
	// Pinned (the value Set.Hash gave before it moved here): tables
	// record digests, so the encoding may not change.
	const want = "6027ff34af5b72f5ddf8f5ef75ab2c0009e020cbbd322fdbb1335e0181b248cc"
	base := digest.Of(tinySet())
	if base != want {
		t.Fatalf("digest %s; want %s", base, want)
	}
	for _, tc := range []struct {
		name string
		edit func(*data.Set)
		same bool
	}{
		{"name ignored", func(s *data.Set) { s.Name = "other" }, true},
		{"pixel", func(s *data.Set) { s.Pixels[5]++ }, false},
		{"label", func(s *data.Set) { s.Labels[0] = 1 }, false},
		{"classes", func(s *data.Set) { s.Classes = 11 }, false},
		{"shape", func(s *data.Set) { s.H, s.W = s.W, s.H }, false},
		{"count", func(s *data.Set) { s.N, s.H = 6, 1 }, false},
	} {
		s := tinySet()
		tc.edit(s)
		if got := digest.Of(s) == base; got != tc.same {
			t.Errorf("%s: digest unchanged = %v; want %v", tc.name, got, tc.same)
		}
	}
}

// TestDefault checks the committed default sets against the digests that
// core/data names and the shipped ground truth records.
func TestDefault(t *testing.T) {
	train, eval, err := data.LoadDefault(public.Data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    *data.Set
		want string
	}{{train, data.TrainHash}, {eval, data.EvalHash}} {
		if got := digest.Of(tc.s); got != tc.want {
			t.Errorf("%s: digest %s; want %s (rebuilt without updating the constant?)", tc.s.Name, got, tc.want)
		}
	}
}
