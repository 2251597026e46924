package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/run"
	"pada/core/space"
	"pada/core/train"
	"pada/serve/queue"
)

// gtTiny is a build small enough to train a dozen architectures in well
// under a second: a tiny network, one epoch, synthetic data.
func gtTiny(t *testing.T, out string) gtBuild {
	t.Helper()
	c, err := run.Preset("mini")
	if err != nil {
		t.Fatal(err)
	}
	c.Shape = space.Shape{InC: 1, H: 8, W: 8, C: 2, N: 1, Classes: 4, Batch: 16}
	c.Data = run.Data{Name: "synthetic"}
	c.Epochs = 1
	c.Eval = run.Eval{Split: "eval", Archs: "unique", Images: 32}
	return gtBuild{cfg: c, archs: "sample:12", seeds: []uint64{0, 1}, doubly: 5, workers: 2, out: out, load: gtData(0)}
}

// gtData loads synthetic training and evaluation files drawn with seed.
func gtData(seed uint64) func(run.Config) (*data.Set, *data.Set, error) {
	return func(c run.Config) (*data.Set, *data.Set, error) {
		s := c.Shape
		return train.Synthetic(48, s.InC, s.H, s.W, s.Classes, seed), train.Synthetic(40, s.InC, s.H, s.W, s.Classes, seed+1), nil
	}
}

// cancelAfterFirstRow is a progress log that interrupts the build as soon
// as the first row is on disk, as Ctrl-C would.
type cancelAfterFirstRow struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	log    strings.Builder
}

func (w *cancelAfterFirstRow) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log.Write(p)
	if bytes.HasPrefix(p, []byte("[1/")) {
		w.cancel()
	}
	return len(p), nil
}

func readGT(t *testing.T, path string) *groundtruth.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := groundtruth.Read(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tab
}

// TestGroundtruthBuildResume interrupts a build, continues it, recovers
// from a half-written last line and grows the table, checking each time
// that the file parses with every planned class exactly once.
func TestGroundtruthBuildResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gt.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := gtTiny(t, out)
	log := &cancelAfterFirstRow{cancel: cancel}
	o.log = log
	err := o.run(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("interrupted build returned %v; log:\n%s", err, log.log.String())
	}
	if n := len(readGT(t, out).Rows); n < 1 || n >= 12 {
		t.Fatalf("interrupted build left %d rows; want some, not all", n)
	}

	if err := gtTiny(t, out).run(context.Background()); err != nil {
		t.Fatal(err)
	}
	tab := readGT(t, out)
	want := groundtruth.Sample(12, 0)
	if len(tab.Rows) != len(want) {
		t.Fatalf("resumed table has %d rows, want %d", len(tab.Rows), len(want))
	}
	for _, a := range want {
		if _, ok := tab.Lookup(a); !ok {
			t.Errorf("%s is missing", a)
		}
	}

	// A crash in the middle of a write leaves half a line.
	full, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(full), "\n"), "\n")
	last := lines[len(lines)-1]
	cut := strings.Join(lines[:len(lines)-1], "") + last[:len(last)/2]
	if err := os.WriteFile(out, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	o = gtTiny(t, out)
	o.archs = "sample:15"
	var note strings.Builder
	o.log = &note
	if err := o.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note.String(), "cut short") {
		t.Errorf("no note about the dropped line in:\n%s", note.String())
	}
	tab = readGT(t, out)
	if len(tab.Rows) != 15 {
		t.Fatalf("grown table has %d rows, want 15", len(tab.Rows))
	}
	for _, a := range groundtruth.Sample(15, 0) {
		if _, ok := tab.Lookup(a); !ok {
			t.Errorf("%s is missing", a)
		}
	}
	doubly := 0
	for _, r := range tab.Rows {
		if !math.IsNaN(r.Seeds[1]) {
			doubly++
		}
	}
	if doubly != 5 {
		t.Errorf("%d rows have both seeds, want 5", doubly)
	}

	// A finished table has nothing left to do, and is left as it was.
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	o = gtTiny(t, out)
	o.archs = "sample:15"
	if err := o.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
		t.Error("a build with nothing to do changed the table")
	}

	var rep bytes.Buffer
	if err := report(&rep, out, tab); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"rows (isomorphism classes): 15", "doubly trained rows: 5", "seed-to-seed Kendall tau-b", "preset mini, data synthetic, 1 epochs"} {
		if !strings.Contains(rep.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, rep.String())
		}
	}
}

// TestGroundtruthRefuses checks that a table is never extended by a build
// that would measure something else, nor a file that is not a table, and
// that the refused file is left as it was.
func TestGroundtruthRefuses(t *testing.T) {
	dir := t.TempDir()
	made := filepath.Join(dir, "gt.csv")
	o := gtTiny(t, made)
	o.archs = "sample:2"
	if err := o.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "nb201.csv")
	nb201 := "ArchitectureString,CIFAR10TestAccuracy200Epochs\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10.0\n"
	if err := os.WriteFile(foreign, []byte(nb201), 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.csv")
	good, err := os.ReadFile(made)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, append(append([]byte{}, good...), "|none~0|,x,1,2,3,4,5,6\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		edit func(*gtBuild)
		want string
	}{
		{"other shape", made, func(o *gtBuild) { o.cfg.Shape.C = 3 }, "protocol field shape is"},
		{"other dataset", made, func(o *gtBuild) { o.load = gtData(7) }, "protocol field data_hash is"},
		{"other schedule", made, func(o *gtBuild) { o.cfg.Epochs = 2 }, "protocol field epochs is 1 in the table but 2"},
		{"other seeds", made, func(o *gtBuild) { o.seeds = []uint64{0, 2} }, "protocol field seeds"},
		{"NAS-Bench-201 table", foreign, func(*gtBuild) {}, "not a ground-truth table"},
		{"corrupt row", corrupt, func(*gtBuild) {}, "line 6, column arch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			o := gtTiny(t, tc.path)
			tc.edit(&o)
			err = o.run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %v, want one naming %s and containing %q", err, tc.path, tc.want)
			}
			if after, _ := os.ReadFile(tc.path); !bytes.Equal(after, before) {
				t.Errorf("the refused file changed")
			}
		})
	}
}

func TestGroundtruthCmdErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gt.csv")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "groundtruth build"},
		{"unknown subcommand", []string{"frob"}, "groundtruth build"},
		{"no -out", []string{"build"}, "-out TABLE.csv is required"},
		{"bad archs", []string{"build", "-archs", "some", "-out", out}, `-archs "some"`},
		{"bad sample", []string{"build", "-archs", "sample:0", "-out", out}, "sample:K with K >= 1"},
		{"bad seeds", []string{"build", "-seeds", "0,x", "-out", out}, `item 2 ("x")`},
		{"repeated seed", []string{"build", "-seeds", "1,1", "-out", out}, "seed 1 is given twice"},
		{"nb201", []string{"build", "-preset", "nb201", "-out", out}, "NAS-Bench-201"},
		{"unknown preset", []string{"build", "-preset", "huge", "-out", out}, `-preset "huge"`},
		{"no workers", []string{"build", "-workers", "0", "-out", out}, "-workers 0"},
		{"extra argument", []string{"build", "-out", out, "now"}, `unexpected argument "now"`},
		{"no queue there", []string{"build", "-nats", "nats://127.0.0.1:1", "-out", out}, "connecting to nats://127.0.0.1:1"},
		{"report without table", []string{"report"}, "-table TABLE.csv is required"},
		{"report of a missing file", []string{"report", "-table", out}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := groundtruthCmd(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused command created %s", out)
	}
}

// TestGroundtruthQueue builds a table on two worker processes through
// the queue and checks it against the same build done locally: the same
// rows with the same accuracies. A rerun finds nothing left to do.
func TestGroundtruthQueue(t *testing.T) {
	dir := t.TempDir()
	srv, err := queue.Start(queue.ServerOptions{Dir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for i := range 2 {
		startChild(t, fmt.Sprintf("worker %d", i), "worker", "-nats", srv.URL(), "-q")
	}

	local := gtTiny(t, filepath.Join(dir, "local.csv"))
	local.load = loadData
	if err := local.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := gtTiny(t, filepath.Join(dir, "queued.csv"))
	o.load, o.natsURL = loadData, srv.URL()
	var log strings.Builder
	o.log = &log
	// The workers may take a moment to start answering.
	deadline := time.Now().Add(time.Minute)
	for {
		q, err := queue.Connect(context.Background(), srv.URL(), queue.Options{})
		if err != nil {
			t.Fatal(err)
		}
		names, _ := q.Workers(context.Background(), 500*time.Millisecond)
		q.Close()
		if len(names) == 2 || time.Now().After(deadline) {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := o.run(ctx); err != nil {
		t.Fatalf("%v; log:\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "2 workers answer") || !strings.Contains(log.String(), "[17/17]") {
		t.Errorf("log:\n%s", log.String())
	}
	norm := func(tab *groundtruth.Table) map[string]string {
		m := map[string]string{}
		for _, r := range tab.Rows {
			r.Seconds = 0
			m[r.Key] = string(groundtruth.FormatRow(r, len(tab.Protocol.Seeds)))
		}
		return m
	}
	want, got := norm(readGT(t, local.out)), norm(readGT(t, o.out))
	if !maps.Equal(got, want) {
		t.Errorf("queued table\n%v\nlocal\n%v", got, want)
	}
	log.Reset()
	if err := o.run(ctx); err != nil || !strings.Contains(log.String(), "0 architectures to train") {
		t.Errorf("rerun: %v\n%s", err, log.String())
	}
}
