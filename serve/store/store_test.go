package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"pada/core/run"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "runs.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func events(from, n int) [][]byte {
	var out [][]byte
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Appendf(nil, `{"type":"step","i":%d}`, i))
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	cfg, _ := run.Preset("mini")
	r, err := s.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "000001" || r.State != Queued {
		t.Fatalf("created %+v", r)
	}
	r2, _ := s.Create(cfg)
	if r2.ID != "000002" {
		t.Fatalf("second ID %q", r2.ID)
	}
	if _, err := s.Apply(r.ID, Write{
		Events: events(0, 5),
		Blobs:  map[string][]byte{"checkpoint": []byte("ck"), "ranking.csv": []byte("arch\n")},
		Update: func(r *Run) { r.State, r.Checkpoint = Running, 5 },
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(r.ID, Write{Events: events(5, 3), Blobs: map[string][]byte{"checkpoint": nil}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Events != 8 || got.State != Running || got.Checkpoint != 5 || got.Config.Preset != "mini" {
		t.Fatalf("record %+v", got)
	}
	for _, tc := range []struct{ from, max, want int }{{0, 0, 8}, {0, 3, 3}, {6, 0, 2}, {8, 0, 0}, {20, 0, 0}} {
		ev, err := s.Events(r.ID, tc.from, tc.max)
		if err != nil || len(ev) != tc.want {
			t.Errorf("Events(%d, %d): %d events, %v; want %d", tc.from, tc.max, len(ev), err, tc.want)
		}
		if len(ev) > 0 && !strings.Contains(string(ev[0]), fmt.Sprintf(`"i":%d`, tc.from)) {
			t.Errorf("Events(%d): first %s", tc.from, ev[0])
		}
	}
	if b, _ := s.Blob(r.ID, "checkpoint"); b != nil {
		t.Errorf("deleted blob reads %q", b)
	}
	if b, _ := s.Blob(r.ID, "ranking.csv"); string(b) != "arch\n" {
		t.Errorf("blob %q", b)
	}
	if _, err := s.Truncate(r.ID, 5, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(r.ID, Write{Events: events(5, 1)}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := s.Events(r.ID, 0, 0); len(ev) != 6 {
		t.Fatalf("after truncate and append: %d events", len(ev))
	}
	if _, err := s.Truncate(r.ID, 9, nil); err == nil {
		t.Error("truncating past the end succeeded")
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].ID != r.ID {
		t.Fatalf("list %v %v", list, err)
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope): %v", err)
	}
	if err := s.Delete(r2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(r2.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted run: %v", err)
	}
}

func TestReopen(t *testing.T) {
	s, p := openTemp(t)
	cfg, _ := run.Preset("mini")
	states := []State{Done, Running, Paused, Queued, Stopped, Failed}
	for _, st := range states {
		r, _ := s.Create(cfg)
		if _, err := s.Apply(r.ID, Write{Events: events(0, 2), Update: func(r *Run) { r.State = st }}); err != nil {
			t.Fatal(err)
		}
	}
	// A second open of a held file fails instead of hanging.
	if _, err := Open(p); err == nil {
		t.Fatal("second open of a held store succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids, err := s.MarkInterrupted()
	if err != nil || strings.Join(ids, ",") != "000002,000003,000004" {
		t.Fatalf("interrupted %v %v", ids, err)
	}
	list, _ := s.List()
	want := []State{Done, Interrupted, Interrupted, Interrupted, Stopped, Failed}
	for i, r := range list {
		if r.State != want[i] || r.Events != 2 {
			t.Errorf("run %s: %s with %d events, want %s with 2", r.ID, r.State, r.Events, want[i])
		}
	}
	if r, _ := s.Create(cfg); r.ID != "000007" {
		t.Errorf("IDs restart after reopening: %s", r.ID)
	}
}

func TestDamagedFile(t *testing.T) {
	s, p := openTemp(t)
	cfg, _ := run.Preset("mini")
	for range 20 {
		r, _ := s.Create(cfg)
		s.Apply(r.ID, Write{Events: events(0, 200)})
	}
	s.Close()
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	garbage := func(b []byte) []byte {
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated to one page", good[:4096]},
		{"truncated header", good[:100]},
		{"truncated to half", good[:len(good)/2]},
		{"data pages overwritten", append(append([]byte{}, good[:16384]...), garbage(make([]byte, len(good)-16384))...)},
		{"one data page overwritten", func() []byte {
			b := append([]byte{}, good...)
			off := len(b) / 2 / 4096 * 4096
			garbage(b[off : off+4096])
			return b
		}()},
		{"meta pages overwritten", append(garbage(make([]byte, 8192)), good[8192:]...)},
		{"not a database", garbage(make([]byte, 64<<10))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := filepath.Join(t.TempDir(), "runs.db")
			if err := os.WriteFile(q, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(q)
			if err == nil {
				s.Close()
				t.Fatal("opened a damaged store")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), q) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	// A bbolt file of some other program is refused too.
	t.Run("foreign", func(t *testing.T) {
		s, q := openTemp(t)
		s.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketPada) })
		s.Close()
		if s, err := Open(q); err == nil || !strings.Contains(err.Error(), "not a pada run store") {
			if s != nil {
				s.Close()
			}
			t.Fatalf("foreign store: %v", err)
		}
	})
}
