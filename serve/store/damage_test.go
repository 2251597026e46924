package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pada/core/run"
)

// goodStore writes a store of a few runs with events and blobs and
// returns its bytes.
func goodStore(t *testing.T) []byte {
	t.Helper()
	s, p := openTemp(t)
	cfg, _ := run.Preset("mini")
	for i := range 12 {
		r, _ := s.Create(cfg)
		s.Apply(r.ID, Write{Events: events(0, 150), Blobs: map[string][]byte{"checkpoint": make([]byte, 3000+i*700)}})
	}
	s.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDamagePages zeroes each page in turn and flips bytes at seeded
// offsets: every damaged file either opens and lists (the damage hit
// unused space or an event's bytes) or gives an error naming the file;
// none panics (a panic in bbolt's own checker goroutine would end the
// test binary). Check agrees with Open.
func TestDamagePages(t *testing.T) {
	good := goodStore(t)
	const page = 4096
	dir := t.TempDir()
	tries := 0
	try := func(name string, b []byte) (refused bool) {
		t.Helper()
		// A new name each time: a refused file's lock stays with its
		// descriptor until the garbage collector closes it.
		tries++
		q := filepath.Join(dir, "runs-"+strconv.Itoa(tries)+".db")
		if err := os.WriteFile(q, b, 0o600); err != nil {
			t.Fatal(err)
		}
		// Check reads its own copy: a file refused mid-open stays
		// locked until its descriptor is collected.
		os.WriteFile(q+".copy", b, 0o600)
		t0 := time.Now()
		_, _, cerr := Check(q + ".copy")
		s, err := Open(q)
		if d := time.Since(t0); d > 500*time.Millisecond {
			t.Logf("%s: %v to check and open", name, d)
		}
		if err != nil {
			if !strings.Contains(err.Error(), q) || !errors.Is(err, ErrDamaged) {
				t.Errorf("%s: error %q does not name the file or say it is damaged", name, err)
			}
			if cerr == nil {
				t.Errorf("%s: Open refuses the file (%v) but Check passes it", name, err)
			}
			return true
		}
		defer s.Close()
		if _, err := s.List(); err != nil {
			t.Errorf("%s: opened, then List: %v", name, err)
		}
		return false
	}
	refused := 0
	for off := 0; off+page <= len(good); off += page {
		b := append([]byte(nil), good...)
		clear(b[off : off+page])
		if try("zeroed page "+strconv.Itoa(off/page), b) {
			refused++
		}
	}
	if refused < 4 {
		t.Errorf("only %d of %d zeroed pages refused: the meta pages and the root alone are 4", refused, len(good)/page)
	}
	r := rand.New(rand.NewPCG(15, 1))
	for i := range 200 {
		b := append([]byte(nil), good...)
		for range 1 + i%8 {
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		}
		try("flipped bytes "+strconv.Itoa(i), b)
	}
}

// TestHeld: a second open says another server holds the store.
func TestHeld(t *testing.T) {
	s, p := openTemp(t)
	defer s.Close()
	_, err := Open(p)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), p) {
		t.Fatalf("second open: %v", err)
	}
}

func TestMoveAside(t *testing.T) {
	s, p := openTemp(t)
	s.Close()
	to, err := MoveAside(p)
	if err != nil || !strings.HasPrefix(to, p+".damaged-") {
		t.Fatalf("MoveAside: %q %v", to, err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the file is still there: %v", err)
	}
	if _, n, err := Check(to); err != nil || n != 0 {
		t.Errorf("the moved file: %d runs, %v", n, err)
	}
}

// TestPagePrune: paging visits every run once in order; pruning deletes
// the oldest finished runs only.
func TestPagePrune(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	cfg, _ := run.Preset("mini")
	states := []State{Done, Running, Failed, Interrupted, Stopped, Done, Paused, Done}
	for _, st := range states {
		r, _ := s.Create(cfg)
		s.Update(r.ID, func(r *Run) { r.State = st })
	}
	var got []string
	for after := ""; ; {
		runs, next, err := s.Page(after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if strings.Join(got, ",") != "000001,000002,000003,000004,000005,000006,000007,000008" {
		t.Fatalf("pages: %v", got)
	}
	ids, err := s.Prune(4)
	if err != nil || strings.Join(ids, ",") != "000001,000003,000005,000006" {
		t.Fatalf("pruned %v %v", ids, err)
	}
	// Only live and interrupted runs and the newest done one are left;
	// pruning to 1 removes the done one and keeps the rest.
	if ids, _ := s.Prune(1); strings.Join(ids, ",") != "000008" {
		t.Fatalf("second prune %v", ids)
	}
	if n, _ := s.Count(); n != 3 {
		t.Errorf("%d runs left, want 3", n)
	}
}

// TestInterruptedReason: a run found live at start gets a reason, which
// says it will not be resumed automatically when it had been.
func TestInterruptedReason(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	cfg, _ := run.Preset("mini")
	a, _ := s.Create(cfg)
	b, _ := s.Create(cfg)
	s.Update(a.ID, func(r *Run) { r.State = Running })
	s.Update(b.ID, func(r *Run) { r.State, r.AutoResumes = Running, 1 })
	if _, err := s.MarkInterrupted(); err != nil {
		t.Fatal(err)
	}
	ra, _ := s.Get(a.ID)
	rb, _ := s.Get(b.ID)
	if !strings.Contains(ra.Reason, "crashed or was killed") || strings.Contains(ra.Reason, "by hand") {
		t.Errorf("reason of a: %q", ra.Reason)
	}
	if !strings.Contains(rb.Reason, "by hand") {
		t.Errorf("reason of b: %q", rb.Reason)
	}
}
