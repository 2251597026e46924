package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestStats(t *testing.T) {
	// Channel 0 holds 0 and 255 equally: mean 0.5, std 0.5. Channel 1 is
	// constant: std falls back to 1.
	s := &Set{N: 2, C: 2, H: 1, W: 2, Classes: 1,
		Pixels: []uint8{0, 255, 51, 51, 255, 0, 51, 51}, Labels: []uint8{0, 0}}
	mean, std := Stats(s)
	want := [][]float32{{0.5, 0.2}, {0.5, 1}}
	for i, got := range [][]float32{mean, std} {
		for c := range got {
			if math.Abs(float64(got[c]-want[i][c])) > 1e-6 {
				t.Errorf("stats %d channel %d = %v; want %v", i, c, got[c], want[i][c])
			}
		}
	}
}

// rgbSet is n 2-channel 3x4 images with varied pixels and labels.
func rgbSet(n int) *Set {
	s := &Set{N: n, C: 2, H: 3, W: 4, Classes: 5, Pixels: make([]uint8, n*24), Labels: make([]uint8, n)}
	for i := range s.Pixels {
		s.Pixels[i] = uint8(i*37 + i/7)
	}
	for i := range s.Labels {
		s.Labels[i] = uint8(i % 5)
	}
	return s
}

func TestBatch(t *testing.T) {
	s := rgbSet(5)
	mean, std := []float32{0.25, 0.5}, []float32{0.5, 2}
	idx := []int{4, 0, 4}
	dst := make([]float32, len(idx)*24+3)
	dst[len(dst)-1] = 42
	labels := make([]int32, len(idx))
	s.Batch(dst, labels, idx, mean, std, nil)
	for k, i := range idx {
		if labels[k] != int32(s.Labels[i]) {
			t.Errorf("label %d = %d; want %d", k, labels[k], s.Labels[i])
		}
		for j, p := range s.Image(i) {
			c := j / 12
			want := (float32(p)/255 - mean[c]) / std[c]
			if got := dst[k*24+j]; got != want {
				t.Errorf("image %d pixel %d = %v; want %v", k, j, got, want)
			}
		}
	}
	if dst[len(dst)-1] != 42 {
		t.Error("Batch wrote past len(idx) images")
	}
}

func TestBatchAllocs(t *testing.T) {
	s := rgbSet(64)
	mean, std := Stats(s)
	idx := []int{3, 1, 60, 7, 7, 0}
	dst := make([]float32, len(idx)*s.Size())
	labels := make([]int32, len(idx))
	aug := &Augment{Pad: ReferencePad, Flip: true, Rand: rand.New(rand.NewPCG(1, 1))}
	imgs := Normalize(s, mean, std)
	r := rand.New(rand.NewPCG(2, 2))
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Set.Batch", func() { s.Batch(dst, labels, idx, mean, std, nil) }},
		{"Set.Batch augmented", func() { s.Batch(dst, labels, idx, mean, std, aug) }},
		{"Normalized.Batch", func() { imgs.Batch(dst, labels, idx, false, nil) }},
		{"Normalized.Batch augmented", func() { imgs.Batch(dst, labels, idx, true, r) }},
	} {
		if n := testing.AllocsPerRun(100, tc.f); n != 0 {
			t.Errorf("%s: %v allocations per call; want 0", tc.name, n)
		}
	}
}

// TestCrop checks the crop geometry on a hand-made 3x3 image: the window
// starts one row above the image and one column right of it, then flips.
func TestCrop(t *testing.T) {
	src := []uint8{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	for _, tc := range []struct {
		name   string
		dy, dx int
		flip   bool
		want   []uint8 // raw values; 0 is padding
	}{
		{"centre", 0, 0, false, src},
		{"flip", 0, 0, true, []uint8{3, 2, 1, 6, 5, 4, 9, 8, 7}},
		{"up right", -1, 1, false, []uint8{0, 0, 0, 2, 3, 0, 5, 6, 0}},
		{"up right flipped", -1, 1, true, []uint8{0, 0, 0, 0, 3, 2, 0, 6, 5}},
		{"down left", 2, -2, false, []uint8{0, 0, 7, 0, 0, 0, 0, 0, 0}},
		{"outside", 3, 0, false, []uint8{0, 0, 0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// mean 0.1, std 0.5: padding must come out as (0-0.1)/0.5.
			got := make([]float32, 9)
			crop(got, src, 3, 3, tc.dy, tc.dx, tc.flip, 0.1, 0.5)
			for j, p := range tc.want {
				if want := (float32(p)/255 - 0.1) / 0.5; got[j] != want {
					t.Errorf("pixel %d = %v; want %v (raw %d)", j, got[j], want, p)
				}
			}
		})
	}
}

// TestAugment checks Batch's augmentation against a direct construction:
// zero-pad the raw image, cut the window at the drawn offset, mirror.
// Every offset and both flips must occur.
func TestAugment(t *testing.T) {
	s := rgbSet(3)
	mean, std := []float32{0.3, 0.6}, []float32{0.2, 0.4}
	const pad = 2
	aug := &Augment{Pad: pad, Flip: true, Rand: rand.New(rand.NewPCG(9, 9))}
	draws := rand.New(rand.NewPCG(9, 9)) // replays aug's draws
	seen := map[[3]int]bool{}
	dst := make([]float32, s.Size())
	labels := make([]int32, 1)
	for trial := range 400 {
		i := trial % s.N
		s.Batch(dst, labels, []int{i}, mean, std, aug)
		top, left := intn(draws, 2*pad+1), intn(draws, 2*pad+1)
		flip := draws.Uint64()&1 == 1
		seen[[3]int{top, left, map[bool]int{false: 0, true: 1}[flip]}] = true

		ph, pw := s.H+2*pad, s.W+2*pad
		for c := range s.C {
			padded := make([]uint8, ph*pw)
			for y := range s.H {
				copy(padded[(y+pad)*pw+pad:], s.Image(i)[c*12+y*4:c*12+y*4+4])
			}
			for y := range s.H {
				for x := range s.W {
					px := left + x
					if flip {
						px = left + s.W - 1 - x
					}
					want := (float32(padded[(top+y)*pw+px])/255 - mean[c]) / std[c]
					if got := dst[c*12+y*4+x]; got != want {
						t.Fatalf("trial %d (top %d left %d flip %v) channel %d (%d, %d) = %v; want %v",
							trial, top, left, flip, c, y, x, got, want)
					}
				}
			}
		}
	}
	if len(seen) != (2*pad+1)*(2*pad+1)*2 {
		t.Errorf("%d of %d crop/flip combinations seen", len(seen), (2*pad+1)*(2*pad+1)*2)
	}
}

func TestAugmentReproducible(t *testing.T) {
	s := rgbSet(8)
	mean, std := Stats(s)
	imgs := Normalize(s, mean, std)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	run := func(seed uint64) []float32 {
		r := rand.New(rand.NewPCG(seed, 0))
		x := make([]float32, len(idx)*s.Size())
		y := make([]int32, len(idx))
		imgs.Batch(x, y, idx, true, r)
		imgs.Batch(x, y, idx, true, r)
		return x
	}
	if !slices.Equal(run(1), run(1)) {
		t.Error("same seed, different batches")
	}
	if slices.Equal(run(1), run(2)) {
		t.Error("seeds 1 and 2 give the same batches")
	}
	plain := make([]float32, len(idx)*s.Size())
	aug := &Augment{Pad: 0, Flip: false, Rand: rand.New(rand.NewPCG(1, 0))}
	s.Batch(plain, make([]int32, len(idx)), idx, mean, std, nil)
	x := make([]float32, len(plain))
	s.Batch(x, make([]int32, len(idx)), idx, mean, std, aug)
	if !slices.Equal(x, plain) {
		t.Error("augmentation without padding or flips changed the images")
	}
}

func BenchmarkBatch(b *testing.B) {
	s := rgbSet(256)
	s = Resize(s, 32, 32)
	mean, std := Stats(s)
	imgs := Normalize(s, mean, std)
	idx := make([]int, 256)
	for i := range idx {
		idx[i] = (i * 7) % s.N
	}
	x := make([]float32, len(idx)*s.Size())
	y := make([]int32, len(idx))
	r := rand.New(rand.NewPCG(1, 1))
	for _, augment := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "augment"}[augment], func(b *testing.B) {
			b.SetBytes(int64(len(idx) * s.Size()))
			for b.Loop() {
				imgs.Batch(x, y, idx, augment, r)
			}
		})
	}
}
