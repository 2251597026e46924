package native

// Which files a run may read. The command line reads the user's own paths
// (HostFiles). A Config that comes over the API is someone else's
// request, so it reads through RootFiles: nothing but the built-in data
// and tables unless the server was started with -data-root DIR, and then
// only regular files under DIR (symlinks followed only while they stay
// inside it, by os.Root), each read bounded in size and line length. Its
// errors never quote a file's bytes, and "outside the root" and "does not
// exist" read the same, so a client learns nothing about the rest of the
// machine.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"pada/core/data"
	"pada/core/run"
)

// Read bounds: the largest data file (a CIFAR-100 train.bin is 150 MB, the
// IDX readers stop at 2 GiB anyway) and ground-truth line.
const (
	maxFile = 1 << 30
	maxLine = 64 << 10
)

// The files a Config names are opened through a data.Opener: Open opens
// the file name for the Config field field, and ReadError turns a
// reader's error about the file (or directory) name into the answer this
// kind of caller may see. HostFiles and RootFiles are the two kinds.

// HostFiles are the user's own: any path, errors as they come. Bounded
// applies the size cap and the regular-file check (for the server's own
// default locations).
type HostFiles struct{ Bounded bool }

// Open opens name as it is given.
func (h HostFiles) Open(field, name string) (io.ReadCloser, error) {
	if !h.Bounded {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return f, nil
	}
	f, err := openRegular(func() (*os.File, error) { return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0) })
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", field, name, err)
	}
	return f, nil
}

// ReadError returns err unchanged.
func (HostFiles) ReadError(field, name string, err error) error { return err }

// openRegular opens with O_NONBLOCK (a FIFO must not block the open) and
// keeps only a regular file of at most maxFile bytes: a FIFO, a device
// such as /dev/zero or a directory is refused before a byte is read.
func openRegular(open func() (*os.File, error)) (io.ReadCloser, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	switch {
	case err != nil:
	case !st.Mode().IsRegular():
		err = errors.New("not a regular file")
	case st.Size() > maxFile:
		err = fmt.Errorf("over %d bytes", maxFile)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, maxFile), f}, nil
}

// RootFiles confines reads to a data root; the zero RootFiles (no root)
// allows no files.
type RootFiles struct {
	root *os.Root
	dir  string // the root's path, for absolute names
}

// OpenRoot opens dir (made absolute, symlinks resolved) as the data root.
func OpenRoot(dir string) (RootFiles, error) {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	var f RootFiles
	if err == nil {
		f.root, err = os.OpenRoot(abs)
	}
	if err != nil {
		return RootFiles{}, err
	}
	f.dir = abs
	return f, nil
}

// Dir is the root's absolute path ("" without a root).
func (f RootFiles) Dir() string { return f.dir }

// Close closes the root.
func (f RootFiles) Close() error {
	if f.root == nil {
		return nil
	}
	return f.root.Close()
}

// errNoFile is the one answer for a name that is outside the root, does
// not exist, or is not a regular file (or directory, for data.dir).
func (f RootFiles) errNoFile(field, name string) error {
	if f.root == nil {
		return &run.FieldError{Field: field, Msg: "this server reads no files named by API clients: use the built-in data (fashion16, synthetic, fashion-mnist without data.dir) and tables (\"default\"), or start the server with -data-root DIR"}
	}
	return &run.FieldError{Field: field, Msg: fmt.Sprintf("%q is not readable under the server's data root (names are relative to it)", name)}
}

// rel maps name to a path inside the root, or reports that it has none.
func (f RootFiles) rel(name string) (string, bool) {
	if f.root == nil || name == "" {
		return "", false
	}
	if filepath.IsAbs(name) {
		r, err := filepath.Rel(f.dir, name)
		if err != nil {
			return "", false
		}
		name = r
	}
	name = filepath.Clean(name)
	if name == ".." || strings.HasPrefix(name, "../") || filepath.IsAbs(name) {
		return "", false
	}
	return name, true
}

// Open opens name, relative to the root or absolute inside it, if it is
// a regular file there.
func (f RootFiles) Open(field, name string) (io.ReadCloser, error) {
	rel, ok := f.rel(name)
	if !ok {
		return nil, f.errNoFile(field, name)
	}
	r, err := openRegular(func() (*os.File, error) { return f.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0) })
	if err != nil {
		return nil, f.errNoFile(field, name)
	}
	return r, nil
}

// ReadError keeps only where a reader failed, never what it read.
func (f RootFiles) ReadError(field, name string, err error) error {
	if err == nil {
		return nil
	}
	var fe *data.FormatError
	if errors.As(err, &fe) {
		return &run.FieldError{Field: field, Msg: fmt.Sprintf("%q: the data is not in the expected format (byte %d)", name, fe.Offset)}
	}
	if _, ok := err.(*run.FieldError); ok {
		return err
	}
	if field == "eval.truth" {
		return &run.FieldError{Field: field, Msg: fmt.Sprintf("%q is not a ground-truth table this server reads (a NAS-Bench-201 CSV or the project's format)", name)}
	}
	return &run.FieldError{Field: field, Msg: fmt.Sprintf("%q could not be read", name)}
}

// Check refuses, before a run is created, a Config naming files that
// Open would not open: a directory for data.dir, a regular file for
// eval.truth.
func (f RootFiles) Check(c run.Config) error {
	d := c.Data
	needsDir := d.Name == "mnist" || d.Name == "cifar10" || d.Name == "cifar100" || (d.Name == "fashion-mnist" && d.Dir != "")
	if d.Dir != "" && !needsDir {
		return &run.FieldError{Field: "data.dir", Msg: fmt.Sprintf("dataset %q reads no directory; leave data.dir empty", d.Name)}
	}
	if needsDir {
		if err := f.stat("data.dir", d.Dir, fs.FileInfo.IsDir); err != nil {
			return err
		}
	}
	if t := c.Eval.Truth; t != "" && t != "default" {
		return f.stat("eval.truth", t, func(st fs.FileInfo) bool { return st.Mode().IsRegular() })
	}
	return nil
}

func (f RootFiles) stat(field, name string, ok func(fs.FileInfo) bool) error {
	rel, in := f.rel(name)
	if !in {
		return f.errNoFile(field, name)
	}
	st, err := f.root.Stat(rel)
	if err != nil || !ok(st) {
		return f.errNoFile(field, name)
	}
	return nil
}

// lineCapped fails a read once a line runs past max bytes, so that one
// endless line cannot grow a parser's buffer without bound.
func lineCapped(r io.Reader, max int) io.Reader {
	return &lineReader{r: bufio.NewReader(r), max: max}
}

type lineReader struct {
	r   *bufio.Reader
	max int
	run int // bytes since the last newline
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
		} else if l.run++; l.run > l.max {
			return 0, fmt.Errorf("a line is longer than %d bytes", l.max)
		}
	}
	return n, err
}
