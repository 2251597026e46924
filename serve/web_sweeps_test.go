package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pada/core/run"
	"pada/serve/api"
	"pada/serve/store"
)

// TestSweepIntoWebStore: a sweep sent to the queue of a running web
// server (which holds the run store, so the sweep cannot open it) lands
// each of its runs once in that store, through the web server's
// recorder, also when the web server restarts in the middle of the
// sweep; GET /api/runs lists them once each, runs.csv names their run
// IDs, and the sweep run again (finding the web's queue on its -listen
// address by itself) finds them all recorded and adds none.
func TestSweepIntoWebStore(t *testing.T) {
	dir := t.TempDir()
	db, natsDir, out := filepath.Join(dir, "runs.db"), filepath.Join(dir, "nats"), filepath.Join(dir, "out")
	addr := freeAddr(t)
	var mu sync.Mutex
	var weblog strings.Builder
	logf := func(f string, a ...any) {
		mu.Lock()
		fmt.Fprintf(&weblog, f+"\n", a...)
		mu.Unlock()
	}
	web := func() (string, func()) {
		a, err := api.New(testOptions(db))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler(http.NotFoundHandler()))
		fs := flag.NewFlagSet("web", flag.ContinueOnError)
		jobs := webNATSFlags(fs)
		if err := fs.Parse([]string{"-nats-listen", addr, "-nats-dir", natsDir}); err != nil {
			t.Fatal(err)
		}
		stop, err := startJobs(jobs, a.Store(), logf)
		if err != nil {
			t.Fatal(err)
		}
		return srv.URL, func() { stop(); a.Close(); srv.CloseClientConnections(); srv.Close() }
	}
	url, stopWeb := web()
	// Runs long enough (about half a second each on a loaded 2-core
	// machine) that the web server stops while most of the sweep is
	// still to come; at 16 epochs the last three runs sometimes ended
	// between "[2/6]" and the stop.
	const epochs = 64
	file := tinySweep(t, "web", epochs, "0, 1, 2", "")
	sw := startChild(t, "sweep", "sweep", "-file", file, "-store", db, "-nats", "nats://"+addr, "-local", "0", "-ack-wait", "2s", "-out", out)
	sw.waitFor(t, "6 queued", 0, time.Minute)
	startChild(t, "worker 1", "worker", "-nats", "nats://"+addr, "-threads", "1", "-name", "w1")
	startChild(t, "worker 2", "worker", "-nats", "nats://"+addr, "-threads", "1", "-name", "w2")
	sw.waitFor(t, "[2/6]", 0, 2*time.Minute)
	stopWeb()
	if strings.Contains(sw.output(), "[5/6]") {
		t.Fatalf("the sweep was nearly done before the web server stopped; the test needs longer runs:\n%s", sw.output())
	}
	time.Sleep(time.Second)
	url, stopWeb = web()
	defer func() { stopWeb() }()
	if err := sw.waitOr(3*time.Minute, func() {}); err != nil {
		mu.Lock()
		t.Fatalf("sweep: %v\n%s\nweb:\n%s", err, sw.output(), weblog.String())
	}

	ids := map[string]bool{}
	listRuns := func() []runSummary {
		res, err := http.Get(url + "/api/runs?limit=1000")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var l struct{ Runs []runSummary }
		if err := json.Unmarshal(body, &l); res.StatusCode != 200 || err != nil {
			t.Fatalf("GET /api/runs: %d %s", res.StatusCode, body)
		}
		return l.Runs
	}
	runs := listRuns()
	seeds := map[string]int{}
	for _, r := range runs {
		ids[r.ID] = true
		seeds[fmt.Sprintf("%s/%s seed %d", r.Path, r.Data, r.Seed)]++
		if r.State != store.Done || r.Done == nil || r.Events == 0 || r.EpochsDone != epochs {
			t.Errorf("run %s: state %s, done %v, %d events, %d epochs", r.ID, r.State, r.Done, r.Events, r.EpochsDone)
		}
	}
	if len(runs) != 6 || len(seeds) != 6 {
		t.Errorf("GET /api/runs lists %d runs of %d sampler x seed (want 6 of 6): %v", len(runs), len(seeds), seeds)
	}
	rows := readCSV(t, filepath.Join(out, "runs.csv"))
	if len(rows) != 7 {
		t.Fatalf("runs.csv has %d rows, want a header and 6", len(rows))
	}
	named := map[string]bool{}
	for _, r := range rows[1:] {
		if id := r[12]; !ids[id] || named[id] {
			t.Errorf("runs.csv row %v: run_id %q is not one of the store's runs once", r, id)
		}
		named[r[12]] = true
	}

	again := startChild(t, "sweep again", "sweep", "-file", file, "-store", db, "-listen", addr, "-nats-dir", filepath.Join(dir, "unused"), "-out", out)
	again.waitFor(t, "6 already recorded, 0 queued", 0, time.Minute)
	if err := again.wait(t, time.Minute); err != nil {
		t.Fatalf("sweep again: %v\n%s", err, again.output())
	}
	if n := len(listRuns()); n != 6 {
		t.Errorf("after the second sweep the store lists %d runs, want 6", n)
	}
	if !strings.Contains(again.output(), "the runs go to its queue") {
		t.Errorf("the second sweep did not say it used the web server's queue:\n%s", again.output())
	}
}

// runSummary is what this test reads of a row of GET /api/runs.
type runSummary struct {
	ID         string      `json:"id"`
	State      store.State `json:"state"`
	Path       string      `json:"path"`
	Data       string      `json:"data"`
	EpochsDone int         `json:"epochs_done"`
	Seed       uint64      `json:"seed"`
	Events     int         `json:"events"`
	Done       *run.Done   `json:"done,omitempty"`
}

// TestSweepHeldStoreNoRecorder: a sweep whose run store another server
// holds, on a queue where nobody records sweep runs, says so and stops
// before it queues anything.
func TestSweepHeldStoreNoRecorder(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sw := startChild(t, "sweep", "sweep", "-file", tinySweep(t, "held", 1, "0", ""), "-store", db,
		"-listen", freeAddr(t), "-nats-dir", filepath.Join(dir, "nats"), "-out", filepath.Join(dir, "out"))
	err = sw.wait(t, time.Minute)
	if err == nil || !strings.Contains(sw.output(), "no server on this queue records sweep runs") {
		t.Errorf("exit %v:\n%s", err, sw.output())
	}
	if strings.Contains(sw.output(), "queued") {
		t.Errorf("the sweep queued runs:\n%s", sw.output())
	}
}
