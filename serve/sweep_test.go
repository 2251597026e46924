package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"pada/serve/queue"
	"pada/serve/store"
)

// scaleoutEnv carries a child process's command line (fields split by
// \x1f): the scale-out tests run `serve sweep` and `serve worker` as real
// processes, so that they can be killed with SIGKILL.
const scaleoutEnv = "PADA_SCALEOUT_ARGS"

func TestScaleoutChild(t *testing.T) {
	a := os.Getenv(scaleoutEnv)
	if a == "" {
		t.Skip("the scale-out tests run this as a child process")
	}
	args := strings.Split(a, "\x1f")
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(args[1:]); err != nil {
				fmt.Fprintf(os.Stderr, "child error: %v\n", err)
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	os.Exit(2)
}

// child is a `serve` command running in its own process.
type child struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  []string
	news chan struct{}
	done chan error
}

func startChild(t *testing.T, name string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScaleoutChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), scaleoutEnv+"="+strings.Join(args, "\x1f"))
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{name: name, cmd: cmd, news: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			c.mu.Lock()
			c.log = append(c.log, sc.Text())
			c.mu.Unlock()
			select {
			case c.news <- struct{}{}:
			default:
			}
		}
		c.done <- cmd.Wait()
		close(c.news)
	}()
	t.Cleanup(c.kill)
	return c
}

// waitFor waits for a line containing s after the first from lines and
// returns it with its index.
func (c *child) waitFor(t *testing.T, s string, from int, timeout time.Duration) (string, int) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		for i := from; i < len(c.log); i++ {
			if strings.Contains(c.log[i], s) {
				l := c.log[i]
				c.mu.Unlock()
				return l, i
			}
		}
		c.mu.Unlock()
		select {
		case _, ok := <-c.news:
			if !ok {
				t.Fatalf("%s exited before printing %q:\n%s", c.name, s, c.output())
			}
		case <-deadline:
			t.Fatalf("%s did not print %q in %s:\n%s", c.name, s, timeout, c.output())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.log, "\n")
}

// kill sends SIGKILL and reaps the process.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.news
	}
}

// wait waits for the process to exit by itself.
func (c *child) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	for {
		select {
		case _, ok := <-c.news:
			if !ok {
				return <-c.done
			}
		case <-time.After(timeout):
			t.Fatalf("%s did not finish in %s:\n%s", c.name, timeout, c.output())
		}
	}
}

// waitOr is wait that calls onTimeout (to say why) before it fails.
func (c *child) waitOr(timeout time.Duration, onTimeout func()) error {
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-c.news:
			if !ok {
				return <-c.done
			}
		case <-deadline:
			onTimeout()
			return fmt.Errorf("%s did not finish in %s", c.name, timeout)
		}
	}
}

// queueState describes the jobs stream and its consumer, for a test
// that waits in vain.
func queueState(url string) string {
	nc, err := nats.Connect(url)
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b strings.Builder
	if s, err := js.Stream(ctx, queue.JobsStream); err == nil {
		info, _ := s.Info(ctx)
		fmt.Fprintf(&b, "stream: %+v\n", info.State)
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
			if m, err := s.GetMsg(ctx, seq); err == nil {
				fmt.Fprintf(&b, "  msg %d: %.120s\n", seq, m.Data)
			}
		}
		for c := range s.ListConsumers(ctx).Info() {
			fmt.Fprintf(&b, "consumer %s: delivered %+v ack floor %+v pending %d ack pending %d redelivered %d waiting %d config %+v\n",
				c.Name, c.Delivered, c.AckFloor, c.NumPending, c.NumAckPending, c.NumRedelivered, c.NumWaiting, c.Config)
		}
	} else {
		fmt.Fprintf(&b, "stream: %v\n", err)
	}
	return b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// tinySweep writes a sweep of 2 samplers x seeds of quick synthetic runs
// (epochs of them each) and returns its path.
func tinySweep(t *testing.T, name string, epochs int, seeds string, extra string) string {
	t.Helper()
	s := fmt.Sprintf(`{"name": %q,
 "base": {"preset": "mini", "epochs": %d, "shape": {"in_channels": 1, "height": 8, "width": 8, "channels": 4, "cells": 1, "classes": 10, "batch": 16},
          "data": {"name": "synthetic", "train": 200, "val_frac": 0.2},
          "eval": {"split": "eval", "archs": "sample:6", "images": 32, "truth": "default"}},
 "samplers": [{"path": "uniform"}, {"path": "pa", "data": "da"}%s],
 "seeds": [%s], "spaces": ["nb201"]}`, name, epochs, extra, seeds)
	p := filepath.Join(t.TempDir(), "sweep.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestSweepKillWorkerAndServer runs a sweep of 6 runs on two worker
// processes, kills one worker with SIGKILL in the middle of a job (the
// job goes to another worker after the ack wait), then kills the
// sweep's server process and starts it again on the same folders: the
// sweep finishes with every run recorded once in the run store and once
// in runs.csv.
func TestSweepKillWorkerAndServer(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	url := "nats://" + addr
	file := tinySweep(t, "kill", 8, "0, 1, 2", "")
	db, out := filepath.Join(dir, "runs.db"), filepath.Join(dir, "out")
	args := []string{"sweep", "-file", file, "-store", db, "-nats-dir", filepath.Join(dir, "nats"), "-listen", addr,
		"-local", "0", "-ack-wait", "2s", "-out", out}
	coord := startChild(t, "sweep", args...)
	coord.waitFor(t, "6 queued", 0, time.Minute)
	w1 := startChild(t, "worker 1", "worker", "-nats", url, "-threads", "1", "-name", "w1")
	w2 := startChild(t, "worker 2", "worker", "-nats", url, "-threads", "1", "-name", "w2")
	_, i := coord.waitFor(t, "[1/6]", 0, 2*time.Minute)
	// Kill w1 as it starts its next job.
	_, j := w1.waitFor(t, "done in", 0, 2*time.Minute)
	line, _ := w1.waitFor(t, ": started", j, 2*time.Minute)
	w1.kill()
	lost := strings.TrimSuffix(strings.Fields(line)[1], ":")
	w3 := startChild(t, "worker 3", "worker", "-nats", url, "-threads", "1", "-name", "w3")
	coord.waitFor(t, "[3/6]", i, 2*time.Minute)
	coord.kill()

	coord = startChild(t, "sweep again", args...)
	recorded, _ := coord.waitFor(t, "already recorded", 0, time.Minute)
	if err := coord.waitOr(3*time.Minute, func() { t.Logf("queue:\n%s\nw2:\n%s\nw3:\n%s", queueState(url), w2.output(), w3.output()) }); err != nil {
		t.Fatalf("restarted sweep: %v\n%s", err, coord.output())
	}
	t.Logf("restart: %s", recorded)
	w2.kill()
	w3.kill()

	rows := readCSV(t, filepath.Join(out, "runs.csv"))
	if len(rows) != 7 {
		t.Fatalf("runs.csv has %d rows, want a header and 6:\n%v", len(rows), rows)
	}
	jobs := map[string]bool{}
	for _, r := range rows[1:] {
		job := r[13]
		if jobs[job] {
			t.Errorf("job %s twice in runs.csv", job)
		}
		jobs[job] = true
		if r[5] == "" || r[14] != "" {
			t.Errorf("run %v has no tau or an error", r)
		}
		if job == lost && r[11] == "w1" {
			t.Errorf("job %s, killed on w1, is recorded as done by w1", job)
		}
	}
	if !jobs[lost] {
		t.Errorf("the job killed on w1 (%s) is not among the results", lost)
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 6 {
		t.Errorf("the store holds %d runs, want 6", len(runs))
	}
	for _, r := range runs {
		if r.State != store.Done || r.Done == nil || r.Events == 0 {
			t.Errorf("stored run %s: state %s, done %v, %d events", r.ID, r.State, r.Done, r.Events)
		}
	}
	cells := readCSV(t, filepath.Join(out, "cells.csv"))
	if len(cells) != 3 || cells[1][4] != "3" || cells[2][4] != "3" {
		t.Errorf("cells.csv: %v", cells)
	}
}

// TestSweepPoison: a run whose data a worker cannot read fails on each
// of its deliveries and is parked with its error; the other runs finish,
// the sweep reports the parked one and says so in its tables.
func TestSweepPoison(t *testing.T) {
	dir := t.TempDir()
	srv, err := queue.Start(queue.ServerOptions{Dir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f, err := os.Open(tinySweep(t, "poison", 1, "0", `, {"path": "uniform", "data": "da"}`))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := parseSweep(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The third cell reads a dataset that is not there.
	plan.Runs[2].Config.Data.Name, plan.Runs[2].Config.Data.Dir = "mnist", filepath.Join(dir, "no-such-dir")
	st, err := store.Open(filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var log strings.Builder
	s := &sweeper{plan: plan, out: filepath.Join(dir, "out"), store: st, local: 1, threads: 1, log: &log}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = s.run(ctx, srv.URL(), queue.Options{Name: "test", AckWait: 5 * time.Second, MaxDeliver: 2})
	if err == nil || !strings.Contains(err.Error(), "1 runs were parked") || !strings.Contains(err.Error(), "no-such-dir") {
		t.Fatalf("sweep returned %v; log:\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "PARKED after 2 deliveries") {
		t.Errorf("no parked line in:\n%s", log.String())
	}
	cells := readCSV(t, filepath.Join(dir, "out", "cells.csv"))
	if cells[3][5] != "1" || cells[1][5] != "0" {
		t.Errorf("cells.csv failed counts: %v", cells)
	}
	runs, _ := st.List()
	failed := 0
	for _, r := range runs {
		if r.State == store.Failed && strings.Contains(r.Error, "no-such-dir") {
			failed++
		}
	}
	if len(runs) != 3 || failed != 1 {
		t.Errorf("store: %d runs, %d failed with the error; want 3 and 1", len(runs), failed)
	}
}

func TestParseSweepErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"name": "a b", "base": {}}`, `name "a b"`},
		{`{"name": "x"}`, "base: missing"},
		{`{"name": "x", "base": {"preset": "mini"}, "spaces": ["darts"]}`, `spaces[0]: "darts"`},
		{`{"name": "x", "base": {"preset": "mini"}, "samplers": [{"path": "pa"}, {"pth": "x"}]}`, "samplers[1]"},
		{`{"name": "x", "base": {"preset": "mini"}, "overrides": [{"epochs": -1}]}`, "epochs"},
		{`{"name": "x", "base": {"preset": "mini"}, "seeds": [1, 1]}`, "seeds[1]"},
		{`{"name": "x", "base": {"preset": "mini"}, "extra": 1}`, "extra"},
		{`{"name": "x", "base": {"preset": "mini"}, "seeds": [` + strings.Repeat("1,", 5000) + `1]}`, "seed"},
		{`{"name": "x",`, "unexpected EOF"},
	} {
		_, err := parseSweep(strings.NewReader(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.60s: %v, want an error naming %q", tc.body, err, tc.want)
		}
	}
	p, err := parseSweep(strings.NewReader(`{"name": "x", "base": {"preset": "mini", "epochs": 2},
		"samplers": [{"path": "uniform"}, {"path": "pa", "data": "da"}], "seeds": [0, 1, 2], "overrides": [{}, {"lr": 0.1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cells) != 4 || len(p.Runs) != 12 {
		t.Fatalf("%d cells, %d runs; want 4 and 12", len(p.Cells), len(p.Runs))
	}
	r := p.Runs[11]
	if c := r.Config; c.Sampler.Path != "pa" || c.Sampler.Data != "da" || c.LR != 0.1 || c.Epochs != 2 || c.Seed != 2 {
		b, _ := json.Marshal(c)
		t.Errorf("last run's config: %s", b)
	}
	if p.Cells[3].Override != `{"lr":0.1}` || p.Cells[3].Sampler != "pa/da" {
		t.Errorf("last cell %+v", p.Cells[3])
	}
}
