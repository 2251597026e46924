package data

import (
	"math"
	"math/rand/v2"
)

// Stats returns the per-channel mean and standard deviation (population,
// divided by the pixel count) of s's pixels scaled to [0, 1], the values
// Batch normalises with. Compute them on the training split and use them
// for every split. A channel without variation gets std 1, so that
// normalising it gives zeros rather than NaN.
func Stats(s *Set) (mean, std []float32) {
	mean, std = make([]float32, s.C), make([]float32, s.C)
	plane := s.H * s.W
	for c := range s.C {
		// Integer sums are exact: even 2^31 pixels of 255 fit in uint64.
		var sum, sq uint64
		for i := range s.N {
			for _, p := range s.Pixels[(i*s.C+c)*plane : (i*s.C+c+1)*plane] {
				sum += uint64(p)
				sq += uint64(p) * uint64(p)
			}
		}
		n := float64(s.N * plane)
		m := float64(sum) / n
		v := max(float64(sq)/n-m*m, 0)
		mean[c] = float32(m / 255)
		std[c] = float32(math.Sqrt(v) / 255)
		if std[c] == 0 {
			std[c] = 1
		}
	}
	return mean, std
}

// Augment is the reference CIFAR training augmentation, torchvision's
// RandomCrop(size, padding=Pad) then RandomHorizontalFlip(): the image is
// padded with Pad zero pixels on every side in raw pixel space (before
// normalisation, as torchvision pads the PIL image), a window of the
// original size is cut at a uniform random offset, and it is mirrored left
// to right with probability 1/2 when Flip is set.
//
// Per image, Batch draws the row offset, then the column offset, then the
// flip from Rand, so a seeded Rand makes runs reproducible.
type Augment struct {
	Pad  int
	Flip bool
	Rand *rand.Rand
}

// ReferencePad is the crop padding of the reference CIFAR recipe.
const ReferencePad = 4

// Batch writes the images idx names into dst as NCHW float32, each pixel
// x becoming (x/255 - mean[c])/std[c] for its channel c, computed in
// float32 in that order as torchvision's ToTensor and Normalize do, and
// their labels into labels. With a non-nil aug each image is augmented
// first. dst needs len(idx)*C*H*W elements and labels len(idx); the rest of
// either is left alone. Batch does not allocate.
//
// It panics if dst, labels, mean or std is too short, or an index is out
// of range.
func (s *Set) Batch(dst []float32, labels []int32, idx []int, mean, std []float32, aug *Augment) {
	size, plane := s.Size(), s.H*s.W
	if len(dst) < len(idx)*size || len(labels) < len(idx) || len(mean) < s.C || len(std) < s.C {
		panic("data: Batch: destination, labels, mean or std too short")
	}
	for k, i := range idx {
		labels[k] = int32(s.Labels[i])
		img := s.Image(i)
		out := dst[k*size : (k+1)*size]
		if aug == nil {
			for c := range s.C {
				m, sd := mean[c], std[c]
				o := out[c*plane : (c+1)*plane]
				for j, p := range img[c*plane : (c+1)*plane] {
					o[j] = (float32(p)/255 - m) / sd
				}
			}
			continue
		}
		// The crop window starts at (dy, dx) in the unpadded image.
		span := 2*aug.Pad + 1
		dy := intn(aug.Rand, span) - aug.Pad
		dx := intn(aug.Rand, span) - aug.Pad
		flip := aug.Flip && aug.Rand.Uint64()&1 == 1
		for c := range s.C {
			crop(out[c*plane:(c+1)*plane], img[c*plane:(c+1)*plane], s.H, s.W, dy, dx, flip, mean[c], std[c])
		}
	}
}

// crop writes the normalised h x w window of src (one h x w plane) whose
// top left corner is at row dy, column dx, mirrored if flip; window pixels
// outside src are raw zeros, as if src had been zero-padded.
func crop(dst []float32, src []uint8, h, w, dy, dx int, flip bool, mean, std float32) {
	zero := (0 - mean) / std
	for y := range h {
		o := dst[y*w : (y+1)*w]
		sy := y + dy
		if sy < 0 || sy >= h {
			for x := range o {
				o[x] = zero
			}
			continue
		}
		row := src[sy*w : (sy+1)*w]
		for x := range o {
			sx := x + dx
			if flip {
				sx = w - 1 - x + dx
			}
			if sx < 0 || sx >= w {
				o[x] = zero
			} else {
				o[x] = (float32(row[sx])/255 - mean) / std
			}
		}
	}
}

// Images is a set that training and evaluation read in batches: Batch
// writes the normalised images idx names into x (NCHW) and their labels
// into y, augmented with randomness from r when augment is set (r may be
// nil otherwise).
type Images interface {
	Len() int
	Batch(x []float32, y []int32, idx []int, augment bool, r *rand.Rand)
}

// Normalized is a Set bound to the normalisation and augmentation that
// training uses: the Images that the trainer and the ranker read.
type Normalized struct {
	Set       *Set
	Mean, Std []float32
	// Pad and Flip configure the augmentation applied when Batch is asked
	// to augment.
	Pad  int
	Flip bool
}

// Normalize binds s to mean and std (usually Stats of the training split)
// with the reference augmentation: padding ReferencePad and flips.
func Normalize(s *Set, mean, std []float32) *Normalized {
	return &Normalized{Set: s, Mean: mean, Std: std, Pad: ReferencePad, Flip: true}
}

// Len is the number of images.
func (n *Normalized) Len() int { return n.Set.N }

// Batch implements Images without allocating.
func (n *Normalized) Batch(x []float32, y []int32, idx []int, augment bool, r *rand.Rand) {
	if !augment {
		n.Set.Batch(x, y, idx, n.Mean, n.Std, nil)
		return
	}
	a := Augment{Pad: n.Pad, Flip: n.Flip, Rand: r}
	n.Set.Batch(x, y, idx, n.Mean, n.Std, &a)
}
