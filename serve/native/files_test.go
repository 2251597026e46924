package native

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"pada/core/run"
)

// TestRootFilesRefuseSpecial: opening a FIFO, a device or a directory
// under the root returns at once (O_NONBLOCK, then a regular-file check),
// also when it replaced a regular file after the POST was checked.
func TestRootFilesRefuseSpecial(t *testing.T) {
	root := t.TempDir()
	syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600)
	os.Symlink("/dev/zero", filepath.Join(root, "zero"))
	os.Mkdir(filepath.Join(root, "dir"), 0o700)
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f := RootFiles{root: r, dir: root}
	for _, name := range []string{"fifo", "zero", "dir", "missing", "../x"} {
		done := make(chan error, 1)
		go func() {
			rc, err := f.Open("eval.truth", name)
			if rc != nil {
				rc.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			var fe *run.FieldError
			if !errors.As(err, &fe) || fe.Field != "eval.truth" {
				t.Errorf("%s: %v, want a refusal naming eval.truth", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("opening %s blocks", name)
		}
	}
	// An endless line is cut off.
	if _, err := io.ReadAll(lineCapped(io.LimitReader(zeros{}, 1<<20), 1000)); err == nil {
		t.Error("a 1 MiB line passed a 1000-byte line cap")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
