package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned
// byte) and the number of dimensions.
const (
	idxImages = 0x00000803 // uint8, 3 dims: N, H, W
	idxLabels = 0x00000801 // uint8, 1 dim: N
)

// IDXClasses is the class count ReadIDX assumes: the IDX format does not
// record it, and every IDX data set this project reads (MNIST,
// Fashion-MNIST) has 10.
const IDXClasses = 10

// ReadIDX reads an IDX image file (magic 0x00000803: N, H, W as big-endian
// uint32, then N*H*W bytes) and its IDX label file (magic 0x00000801: N,
// then N bytes) into a one-channel set with IDXClasses classes. Either
// stream may be gzipped; it is unpacked transparently.
//
// It is strict: a wrong magic, a file shorter or longer than its header
// promises, different image and label counts, or a label of IDXClasses or
// more is a *FormatError naming the file and byte offset.
func ReadIDX(images, labels io.Reader) (*Set, error) {
	is, err := newSource(images, "images")
	if err != nil {
		return nil, err
	}
	dims, err := idxHeader(is, idxImages, 3)
	if err != nil {
		return nil, err
	}
	n, h, w := dims[0], dims[1], dims[2]
	for i, d := range dims {
		if d == 0 {
			return nil, is.errorf(int64(4+4*i), "dimension %d of the header is 0", i)
		}
	}
	// n*h cannot overflow (both < 2^32); checking it first keeps n*h*w
	// from overflowing too.
	nh := uint64(n) * uint64(h)
	if nh > maxBytes || nh*uint64(w) > maxBytes {
		return nil, is.errorf(4, "header declares %dx%dx%d images, more than the %d bytes this reader accepts",
			n, h, w, maxBytes)
	}
	pix, err := is.payload(int(nh*uint64(w)), "pixels")
	if err != nil {
		return nil, err
	}
	if err := is.end(); err != nil {
		return nil, err
	}

	ls, err := newSource(labels, "labels")
	if err != nil {
		return nil, err
	}
	ldims, err := idxHeader(ls, idxLabels, 1)
	if err != nil {
		return nil, err
	}
	if ldims[0] != n {
		return nil, ls.errorf(4, "header declares %d labels but %s holds %d images", ldims[0], is.name, n)
	}
	lab, err := ls.payload(int(n), "labels")
	if err != nil {
		return nil, err
	}
	for i, l := range lab {
		if l >= IDXClasses {
			return nil, ls.errorf(int64(8+i), "label %d of image %d is not below %d classes", l, i, IDXClasses)
		}
	}
	if err := ls.end(); err != nil {
		return nil, err
	}
	return &Set{N: int(n), C: 1, H: int(h), W: int(w), Classes: IDXClasses, Pixels: pix, Labels: lab}, nil
}

// idxHeader reads the magic and ndim big-endian uint32 dimensions.
func idxHeader(s *source, magic uint32, ndim int) ([]uint32, error) {
	var b [4 * 4]byte
	hdr := b[:4+4*ndim]
	if err := s.full(hdr[:4], "header"); err != nil {
		return nil, err
	}
	if m := binary.BigEndian.Uint32(hdr); m != magic {
		return nil, s.errorf(0, "magic %#08x; want %#08x (unsigned bytes, dimension count %d)", m, magic, ndim)
	}
	if err := s.full(hdr[4:], "header"); err != nil {
		return nil, err
	}
	dims := make([]uint32, ndim)
	for i := range dims {
		dims[i] = binary.BigEndian.Uint32(hdr[4+4*i:])
	}
	return dims, nil
}

// WriteIDX writes s as an uncompressed IDX image file and label file, the
// format ReadIDX reads; wrap the writers in a gzip.Writer to compress. s
// must have one channel. IDX does not record the class count, so ReadIDX
// gives the result IDXClasses classes.
func WriteIDX(images, labels io.Writer, s *Set) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("data: write idx: %w", err)
	}
	if s.C != 1 {
		return fmt.Errorf("data: write idx: set %q has %d channels; IDX images have 1", s.Name, s.C)
	}
	if s.N > math.MaxUint32 || s.H > math.MaxUint32 || s.W > math.MaxUint32 {
		return fmt.Errorf("data: write idx: set %q: %dx%dx%d does not fit IDX's 32-bit dimensions", s.Name, s.N, s.H, s.W)
	}
	var hdr [16]byte
	binary.BigEndian.PutUint32(hdr[0:], idxImages)
	binary.BigEndian.PutUint32(hdr[4:], uint32(s.N))
	binary.BigEndian.PutUint32(hdr[8:], uint32(s.H))
	binary.BigEndian.PutUint32(hdr[12:], uint32(s.W))
	if _, err := images.Write(hdr[:]); err != nil {
		return fmt.Errorf("data: write idx images: %w", err)
	}
	if _, err := images.Write(s.Pixels); err != nil {
		return fmt.Errorf("data: write idx images: %w", err)
	}
	binary.BigEndian.PutUint32(hdr[0:], idxLabels)
	binary.BigEndian.PutUint32(hdr[4:], uint32(s.N))
	if _, err := labels.Write(hdr[:8]); err != nil {
		return fmt.Errorf("data: write idx labels: %w", err)
	}
	if _, err := labels.Write(s.Labels); err != nil {
		return fmt.Errorf("data: write idx labels: %w", err)
	}
	return nil
}
