// Package data reads, shapes and serves the image classification data that
// supernets train and are ranked on.
//
// A Set holds raw uint8 pixels in NCHW order with one label per image; raw
// bytes keep a set four times smaller than float32 would, which matters in
// the browser's wasm heap. Readers parse IDX (MNIST, Fashion-MNIST) and the
// CIFAR-10/100 binary formats from an io.Reader, strictly: a file whose
// header promises more or fewer bytes than it has, or a label outside the
// class range, is an error that names the file and the byte offset. Resize,
// Subset and Split shape a set deterministically; Stats and Batch turn raw
// pixels into the normalised float32 batches that training reads, with the
// reference CIFAR augmentation (random crop with zero padding, horizontal
// flip) drawn from a seeded generator.
//
// LoadDefault reads the small Fashion-MNIST set (16x16, 10 classes) that the
// browser build embeds; `go run ./serve dataset build` rebuilds its files.
//
// The package does no file or network I/O of its own, so it builds for
// GOOS=js as well as natively.
package data

import (
	"fmt"
)

// Set is a labelled image set with raw 8-bit pixels.
type Set struct {
	// Name says where the set came from, e.g. "fashion16-train"; it is
	// not part of the data (digest.Of ignores it).
	Name string
	// N images of C channels, H rows and W columns, each labelled with one
	// of Classes classes.
	N, C, H, W int
	Classes    int
	// Pixels holds N*C*H*W bytes: image-major, then channel, row, column
	// (NCHW), the order training tensors use.
	Pixels []uint8
	// Labels holds N class indices in [0, Classes).
	Labels []uint8
}

// Len is the number of images.
func (s *Set) Len() int { return s.N }

// Size is the number of pixels in one image, C*H*W.
func (s *Set) Size() int { return s.C * s.H * s.W }

// Image returns the pixels of image i (C*H*W bytes, CHW order), sharing
// storage with s.
func (s *Set) Image(i int) []uint8 {
	n := s.Size()
	return s.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// Validate reports whether s is consistent: positive dimensions, buffers of
// the declared sizes and every label in range.
func (s *Set) Validate() error {
	switch {
	case s.N < 1 || s.C < 1 || s.H < 1 || s.W < 1:
		return fmt.Errorf("data: set %q: dimensions %dx%dx%dx%d (NxCxHxW) must be positive", s.Name, s.N, s.C, s.H, s.W)
	case s.Classes < 1 || s.Classes > 256:
		return fmt.Errorf("data: set %q: %d classes; want 1 to 256 (labels are bytes)", s.Name, s.Classes)
	case s.N > maxBytes/s.Size():
		return fmt.Errorf("data: set %q: %dx%dx%dx%d pixels is more than %d bytes", s.Name, s.N, s.C, s.H, s.W, maxBytes)
	case len(s.Pixels) != s.N*s.Size():
		return fmt.Errorf("data: set %q: %d pixel bytes; NxCxHxW = %dx%dx%dx%d needs %d", s.Name, len(s.Pixels), s.N, s.C, s.H, s.W, s.N*s.Size())
	case len(s.Labels) != s.N:
		return fmt.Errorf("data: set %q: %d labels for %d images", s.Name, len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if int(l) >= s.Classes {
			return fmt.Errorf("data: set %q: label %d of image %d is not below %d classes", s.Name, l, i, s.Classes)
		}
	}
	return nil
}

// Select returns a new set of the images idx names, in that order
// (repeats allowed). It panics if an index is out of range.
func (s *Set) Select(idx []int) *Set {
	n := s.Size()
	out := &Set{Name: s.Name, N: len(idx), C: s.C, H: s.H, W: s.W, Classes: s.Classes,
		Pixels: make([]uint8, 0, len(idx)*n), Labels: make([]uint8, 0, len(idx))}
	for _, i := range idx {
		out.Pixels = append(out.Pixels, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
	}
	return out
}

// Concat joins sets of the same image shape and class count into one, e.g.
// the five CIFAR-10 training batches, each read on its own so that errors
// name the right file. The result is named after the first set.
func Concat(sets ...*Set) (*Set, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("data: concat: no sets")
	}
	a := sets[0]
	out := &Set{Name: a.Name, C: a.C, H: a.H, W: a.W, Classes: a.Classes}
	for _, s := range sets {
		if s.C != a.C || s.H != a.H || s.W != a.W || s.Classes != a.Classes {
			return nil, fmt.Errorf("data: concat: set %q is %dx%dx%d with %d classes; set %q is %dx%dx%d with %d",
				s.Name, s.C, s.H, s.W, s.Classes, a.Name, a.C, a.H, a.W, a.Classes)
		}
		out.N += s.N
	}
	out.Pixels = make([]uint8, 0, out.N*out.Size())
	out.Labels = make([]uint8, 0, out.N)
	for _, s := range sets {
		out.Pixels = append(out.Pixels, s.Pixels...)
		out.Labels = append(out.Labels, s.Labels...)
	}
	return out, out.Validate()
}
