package npz

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Reader reads arrays from an .npz archive, as written by Writer,
// np.savez or np.savez_compressed.
type Reader struct {
	size  int64
	names []string
	files map[string]*zip.File
}

// NewReader opens the .npz archive of the given size held by r. It reads
// only the zip directory; arrays are decoded by Array. Every entry must be
// named "*.npy" (directory entries are skipped) and names must be unique,
// so that each array has exactly one meaning.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	z, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Names such as "../x.npy" are harmless here: nothing is
		// extracted to disk.
		return nil, fmt.Errorf("npz: reading zip directory: %w", err)
	}
	zr := &Reader{size: size, files: make(map[string]*zip.File, len(z.File))}
	for i, f := range z.File {
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 {
			continue
		}
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, fmt.Errorf("npz: entry %d %q is not a .npy array (name does not end in .npy)", i, clip(f.Name))
		}
		if _, dup := zr.files[name]; dup {
			return nil, fmt.Errorf("npz: entry %d %q appears twice", i, clip(f.Name))
		}
		zr.names = append(zr.names, name)
		zr.files[name] = f
	}
	return zr, nil
}

// Names returns the arrays' names, without ".npy", in archive order.
func (r *Reader) Names() []string {
	return slices.Clone(r.names)
}

// Array decodes the array with the given name (without ".npy"). Errors
// name the entry; malformed arrays give a *FormatError.
func (r *Reader) Array(name string) (*Array, error) {
	f, ok := r.files[name]
	if !ok {
		return nil, fmt.Errorf("npz: no array %q in the archive (it has %d)", clip(name), len(r.names))
	}
	const maxInt64 = 1<<63 - 1
	if f.UncompressedSize64 > maxInt64 || f.CompressedSize64 > maxInt64 {
		return nil, fmt.Errorf("npz: entry %q: size %d does not fit an int64", f.Name, f.UncompressedSize64)
	}
	size := int64(f.UncompressedSize64)
	trusted := false
	if f.Method == zip.Store {
		// A stored entry's bytes are the array's bytes: if they lie
		// within the file, the array can be allocated in one piece.
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("npz: entry %q: %w", f.Name, err)
		}
		if f.CompressedSize64 != f.UncompressedSize64 {
			return nil, fmt.Errorf("npz: entry %q: stored entry with compressed size %d != size %d", f.Name, f.CompressedSize64, f.UncompressedSize64)
		}
		if off < 0 || off > r.size || size > r.size-off {
			return nil, fmt.Errorf("npz: entry %q: %d bytes at offset %d run past the end of the %d-byte file", f.Name, size, off, r.size)
		}
		trusted = true
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("npz: entry %q: %w", f.Name, err)
	}
	defer rc.Close()
	a, err := decode(rc, f.Name, size, trusted)
	if err != nil {
		return nil, err
	}
	a.Name = name
	return a, nil
}
