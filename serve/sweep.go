package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"pada/core/rank/stat"
	"pada/core/run"
	"pada/serve/queue"
	"pada/serve/store"
)

const sweepUsage = `usage: go run ./serve sweep -file SWEEP.json [flags]

sweep runs a grid of runs on the queue's workers: every sampler x space x
override of SWEEP.json (a cell of the grid) with every seed, then prints
per cell the Kendall tau, Spearman rho and top-10% precision as mean ± sd
over the seeds, and writes them (DIR/cells.csv) with the raw rows
(DIR/runs.csv). Each run lands once in the run store. Rerun the same
command after an interruption: finished runs are kept, and the rest are
queued once.

Without -nats the sweep starts its own NATS server (JetStream files in
-nats-dir) on -listen and does -local runs at once itself; more workers
join with  go run ./serve worker -nats nats://HOST:PORT . With the page
open (a running serve web holds the run store and the queue on -listen)
the runs go to the web server's queue, and it records them in its store.

SWEEP.json:
  {"name": "samplers",                          letters, digits, - and _
   "base": {"preset": "mini", "epochs": 10},    a Config, or a preset with fields laid over it
   "samplers": [{"path": "uniform"}, {"path": "pa", "data": "da"}],   laid over base.sampler
   "seeds": [0, 1, 2],
   "spaces": ["nb201"],                         the search spaces (only nb201 today)
   "overrides": [{}, {"lr": 0.1}]}              laid over the whole Config`

// sweepFile is SWEEP.json.
type sweepFile struct {
	Name      string            `json:"name"`
	Base      json.RawMessage   `json:"base"`
	Samplers  []json.RawMessage `json:"samplers"`
	Seeds     []uint64          `json:"seeds"`
	Spaces    []string          `json:"spaces"`
	Overrides []json.RawMessage `json:"overrides"`
}

// sweepCell is one point of the grid.
type sweepCell struct {
	Index    int
	Sampler  string // path/data, as configured
	Space    string
	Override string // the override's JSON, compact ({} for none)
}

// sweepRun is one run: a cell with a seed.
type sweepRun struct {
	Cell   int
	Seed   uint64
	Config run.Config
	JobID  string // from the Config: the same Config is the same job
}

// sweepPlan is a parsed sweep.
type sweepPlan struct {
	Name  string
	Cells []sweepCell
	Runs  []sweepRun
}

// maxSweepRuns bounds a sweep's grid before anything is made.
const maxSweepRuns = 10000

// spaces are the search spaces a sweep can name.
var spaces = []string{"nb201"}

// parseSweep reads and expands SWEEP.json; errors name the field.
func parseSweep(r io.Reader) (*sweepPlan, error) {
	var f sweepFile
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("JSON syntax error at byte %d: %v", se.Offset, err)
		}
		return nil, err
	}
	if !validToken(f.Name) {
		return nil, fmt.Errorf("name %q: want 1-100 letters, digits, - or _", f.Name)
	}
	if len(f.Base) == 0 {
		return nil, errors.New(`base: missing; want a Config or {"preset": "mini", ...}`)
	}
	base, err := overlayConfig(f.Base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if len(f.Seeds) == 0 {
		f.Seeds = []uint64{base.Seed}
	}
	seen := map[uint64]bool{}
	for i, s := range f.Seeds {
		if seen[s] {
			return nil, fmt.Errorf("seeds[%d]: seed %d is given twice", i, s)
		}
		seen[s] = true
	}
	if len(f.Samplers) == 0 {
		f.Samplers = []json.RawMessage{json.RawMessage(`{}`)}
	}
	if len(f.Overrides) == 0 {
		f.Overrides = []json.RawMessage{json.RawMessage(`{}`)}
	}
	if len(f.Spaces) == 0 {
		f.Spaces = []string{"nb201"}
	}
	for i, s := range f.Spaces {
		if !slices.Contains(spaces, s) {
			return nil, fmt.Errorf("spaces[%d]: %q: this build knows the spaces %v", i, s, spaces)
		}
	}
	if n := len(f.Samplers) * len(f.Spaces) * len(f.Overrides) * len(f.Seeds); n > maxSweepRuns {
		return nil, fmt.Errorf("the grid has %d runs; at most %d", n, maxSweepRuns)
	}
	p := &sweepPlan{Name: f.Name}
	for si, sm := range f.Samplers {
		for _, sp := range f.Spaces {
			for oi, ov := range f.Overrides {
				c := base
				if err := decodeStrict(sm, &c.Sampler); err != nil {
					return nil, fmt.Errorf("samplers[%d]: %w", si, err)
				}
				if err := decodeStrict(ov, &c); err != nil {
					return nil, fmt.Errorf("overrides[%d]: %w", oi, err)
				}
				var compact bytes.Buffer
				json.Compact(&compact, ov)
				cell := sweepCell{Index: len(p.Cells), Sampler: c.Sampler.Path + "/" + c.Sampler.Data, Space: sp, Override: compact.String()}
				p.Cells = append(p.Cells, cell)
				for _, seed := range f.Seeds {
					rc := c
					rc.Seed = seed
					if err := rc.Validate(); err != nil {
						return nil, fmt.Errorf("samplers[%d] x overrides[%d], seed %d: %w", si, oi, seed, err)
					}
					b, _ := json.Marshal(rc)
					h := sha256.Sum256(b)
					p.Runs = append(p.Runs, sweepRun{Cell: cell.Index, Seed: seed, Config: rc, JobID: hex.EncodeToString(h[:12])})
				}
			}
		}
	}
	return p, nil
}

func validToken(s string) bool {
	if len(s) < 1 || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// overlayConfig reads a Config, or a preset with fields over it.
func overlayConfig(b []byte) (run.Config, error) {
	var head struct {
		Version *int   `json:"version"`
		Preset  string `json:"preset"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return run.Config{}, err
	}
	var c run.Config
	if head.Version == nil {
		p := head.Preset
		if p == "" {
			p = "mini"
		}
		var err error
		if c, err = run.Preset(p); err != nil {
			return c, err
		}
	}
	if err := decodeStrict(b, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// sweepRow is one finished (or parked) run.
type sweepRow struct {
	Run    sweepRun
	Done   *run.Done
	Error  string
	Worker string
	RunID  string // in the run store ("" without one)
}

func sweepCmd(args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), sweepUsage+"\n\nflags:")
		fs.PrintDefaults()
	}
	file := fs.String("file", "", "the sweep (required)")
	out := fs.String("out", "", "write cells.csv and runs.csv here (default sweep-NAME)")
	storePath := fs.String("store", "", "record each run in this run store (default the server's, ~/.config/pada/runs.db); none: do not")
	nf := addNATSFlags(fs, "send the runs to this queue (e.g. the one `go run ./serve` starts, nats://127.0.0.1:4222) instead of starting one")
	listen := fs.String("listen", queue.DefaultListen, "without -nats: where this sweep's own NATS server listens for workers (beyond loopback it needs -token or -nkeys)")
	natsDir := fs.String("nats-dir", "", "without -nats: the server's JetStream folder (default ~/.config/pada/nats)")
	nkeys := fs.String("nkeys", "", "without -nats: NKey public keys (U..., comma-separated) of the workers allowed in")
	local := fs.Int("local", 1, "runs this process does at once itself (0: only workers)")
	threads := fs.Int("threads", 0, "threads of each local run (default cores / -local)")
	ackWait := fs.Duration("ack-wait", queue.DefaultAckWait, "how long a run may go without a sign of life before another worker gets it")
	maxDeliver := fs.Int("max-deliver", queue.DefaultMaxDeliver, "deliveries of a failing run before it is parked")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *file == "" {
		return errors.New("-file SWEEP.json is required")
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	plan, err := parseSweep(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	if *local < 0 {
		return fmt.Errorf("-local %d: want 0 or more", *local)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := &sweeper{plan: plan, out: *out, local: *local, threads: *threads}
	if s.out == "" {
		s.out = "sweep-" + plan.Name
	}
	if !*quiet {
		s.log = os.Stderr
	}
	if *storePath != "none" {
		if *storePath == "" {
			d, err := dataDir()
			if err != nil {
				return fmt.Errorf("no -store given and %w", err)
			}
			*storePath = filepath.Join(d, "runs.db")
		}
		if err := os.MkdirAll(filepath.Dir(*storePath), 0o755); err != nil {
			return err
		}
		st, err := store.Open(*storePath)
		switch {
		case errors.Is(err, store.ErrHeld):
			// A running `serve web` holds it: it records the runs that
			// reach its queue (web_sweeps.go), if this is its queue.
			s.webStore = *storePath
		case err != nil:
			return err
		default:
			defer st.Close()
			s.store = st
		}
	}
	url := *nf.url
	creds := nf.creds()
	if url == "" {
		dir := *natsDir
		if dir == "" {
			d, err := dataDir()
			if err != nil {
				return fmt.Errorf("no -nats-dir given and %w", err)
			}
			dir = filepath.Join(d, "nats")
		}
		var keys []string
		if *nkeys != "" {
			keys = strings.Split(*nkeys, ",")
		}
		srv, err := queue.Start(queue.ServerOptions{Dir: dir, Listen: *listen, Token: creds.Token, NKeys: keys})
		switch {
		case errors.Is(err, queue.ErrAddrInUse) && s.webStore != "":
			// The usual case with the page open: `serve web` holds the
			// store and runs the queue there. Use its queue.
			url = "nats://" + *listen
			s.logf("a queue runs on %s already and a server holds %s (serve web): the runs go to its queue, and it records them\n", *listen, s.webStore)
		case errors.Is(err, queue.ErrAddrInUse):
			return fmt.Errorf("%w: a queue may be running there already (`serve web` starts one): send the runs to it with -nats nats://%s, or give -listen another address", err, *listen)
		case err != nil:
			return err
		default:
			defer srv.Close()
			url = srv.URL()
			if len(keys) > 0 && creds.NKeySeed == "" && s.local > 0 {
				return errors.New("-nkeys: the local runs need a seed too (-nkey SEEDFILE), or -local 0")
			}
			s.logf("NATS server on %s (JetStream in %s); workers join with: go run ./serve worker -nats %s\n", url, dir, url)
		}
	}
	return s.run(ctx, url, queue.Options{Creds: creds, Name: "sweep-" + queue.HostName(), AckWait: *ackWait, MaxDeliver: *maxDeliver})
}

// sweeper runs a sweep plan on a queue.
type sweeper struct {
	plan  *sweepPlan
	out   string
	store *store.Store // nil: none
	// webStore is the run store that a running server holds (it could
	// not be opened): that server records the runs from its queue, and
	// the sweep asks it what it holds (sweepLookupSubject).
	webStore string
	local    int
	threads  int
	log      io.Writer
}

func (s *sweeper) logf(format string, a ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, format, a...)
	}
}

func (s *sweeper) batch() string { return "sweep-" + s.plan.Name }

func (s *sweeper) storeKey(r sweepRun) string { return s.batch() + "." + r.JobID }

// run submits the runs not yet recorded, gathers every result, and
// writes the tables.
func (s *sweeper) run(ctx context.Context, url string, o queue.Options) error {
	q, err := queue.Connect(ctx, url, o)
	if err != nil {
		return err
	}
	defer q.Close()
	rows := map[string]*sweepRow{}
	byID := map[string]sweepRun{}
	var held map[string]recordedRun
	if s.webStore != "" {
		if held, err = s.lookup(ctx, q, s.plan.Runs); errors.Is(err, queue.ErrNoAnswer) {
			return fmt.Errorf("the run store %s is held by another server (a running `serve web`?), and no server on this queue records sweep runs: send the sweep to that server's queue (-nats nats://%s), or give -store OTHER.db or -store none", s.webStore, queue.DefaultListen)
		} else if err != nil {
			return err
		}
	}
	submitted := 0
	for _, r := range s.plan.Runs {
		if _, dup := byID[r.JobID]; dup {
			continue // two cells with one Config: one run
		}
		byID[r.JobID] = r
		if rec, ok := held[s.storeKey(r)]; ok {
			rows[r.JobID] = &sweepRow{Run: r, Done: rec.Done, Error: rec.Error, RunID: rec.ID, Worker: "(stored)"}
			continue
		}
		if s.store != nil {
			if rec, err := s.store.Job(s.storeKey(r)); err == nil {
				rows[r.JobID] = &sweepRow{Run: r, Done: rec.Done, Error: rec.Error, RunID: rec.ID, Worker: "(stored)"}
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		body, err := json.Marshal(runJob{Config: r.Config})
		if err != nil {
			return err
		}
		if err := q.Submit(ctx, queue.Job{ID: r.JobID, Batch: s.batch(), Kind: jobRun, Body: body}); err != nil {
			return err
		}
		submitted++
	}
	total := len(byID)
	s.logf("sweep %s: %d cells, %d runs: %d already recorded, %d queued\n", s.plan.Name, len(s.plan.Cells), total, len(rows), submitted)

	var wg sync.WaitGroup
	wctx, stopWorkers := context.WithCancel(ctx)
	defer func() { stopWorkers(); wg.Wait() }()
	if s.local > 0 && len(rows) < total {
		threads := s.threads
		if threads <= 0 {
			threads = max(1, numCPU()/s.local)
		}
		w := &worker{threads: threads}
		wo := o
		wo.Name, wo.AckWait, wo.MaxDeliver, wo.Logf = "local-"+queue.HostName(), 0, 0, s.logf
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.serve(wctx, url, wo, s.local); err != nil && wctx.Err() == nil {
				s.logf("local worker: %v\n", err)
			}
		}()
	}

	start := time.Now()
	fresh := 0
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if len(rows) == total {
		cancel()
	}
	err = q.Results(rctx, s.batch(), func(res queue.Result) error {
		r, ok := byID[res.JobID]
		if !ok {
			return nil // a run of an earlier version of this sweep
		}
		if _, done := rows[res.JobID]; done {
			return nil
		}
		row := &sweepRow{Run: r, Worker: res.Worker, Error: res.Error}
		var rr runResult
		if !res.Parked {
			if err := json.Unmarshal(res.Body, &rr); err != nil {
				return fmt.Errorf("result of %s: %w", res.JobID, err)
			}
			row.Done = rr.Done
		}
		if s.store != nil {
			got, _, err := recordSweepRun(s.store, s.storeKey(r), r.Config, res, rr)
			if err != nil {
				return err
			}
			row.RunID = got.ID
		}
		rows[res.JobID] = row
		fresh++
		el := time.Since(start)
		eta := time.Duration(float64(el) / float64(fresh) * float64(total-len(rows)))
		c := s.plan.Cells[r.Cell]
		if res.Parked {
			s.logf("[%d/%d] %s %s seed %d PARKED after %d deliveries: %s\n", len(rows), total, c.Sampler, c.Override, r.Seed, res.Attempt, res.Error)
		} else {
			s.logf("[%d/%d] %s %s seed %d: tau %.3f (%.0fs on %s) elapsed %s, ETA %s\n", len(rows), total, c.Sampler, c.Override, r.Seed,
				rr.Done.Tau, res.Seconds, res.Worker, el.Round(time.Second), eta.Round(time.Second))
		}
		if len(rows) == total {
			cancel()
		}
		return nil
	})
	if len(rows) < total {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %d of %d runs finished; run the same command again to continue", len(rows), total)
		}
		return err
	}
	if s.webStore != "" {
		s.fillRunIDs(ctx, q, rows)
	}
	return s.report(rows)
}

// recordSweepRun records a sweep run's result (res, with its body rr) in
// st under key, once: the sweep that owns the store and serve web's
// recorder both write through it.
func recordSweepRun(st *store.Store, key string, cfg run.Config, res queue.Result, rr runResult) (store.Run, bool, error) {
	rec := store.Run{State: store.Done, Config: cfg, Done: rr.Done}
	if res.Parked {
		rec.State, rec.Error, rec.Done = store.Failed, res.Error, nil
	}
	events := make([][]byte, len(rr.Events))
	for i, e := range rr.Events {
		events[i] = e
		if bytes.Contains(e, []byte(`"type":"epoch"`)) {
			rec.EpochsDone++
		}
	}
	return st.Record(key, rec, events)
}

// sweepLookupSubject is where serve web answers which sweep runs its
// store holds: a sweepLookup, answered with a sweepRecorded.
const sweepLookupSubject = "pada.sweeps.recorded"

// maxLookupKeys bounds one lookup (its answer stays far below the
// server's 8 MiB messages).
const maxLookupKeys = 500

type sweepLookup struct {
	Keys []string `json:"keys"` // store keys: batch.job
}

type sweepRecorded struct {
	Runs  map[string]recordedRun `json:"runs"` // the keys the store holds
	Error string                 `json:"error,omitempty"`
}

type recordedRun struct {
	ID    string      `json:"id"`
	State store.State `json:"state"`
	Done  *run.Done   `json:"done,omitempty"`
	Error string      `json:"error,omitempty"`
}

// lookup asks the server that holds the store which of runs it recorded.
func (s *sweeper) lookup(ctx context.Context, q *queue.Queue, runs []sweepRun) (map[string]recordedRun, error) {
	out := map[string]recordedRun{}
	for i := 0; i < len(runs); i += maxLookupKeys {
		var l sweepLookup
		for _, r := range runs[i:min(len(runs), i+maxLookupKeys)] {
			l.Keys = append(l.Keys, s.storeKey(r))
		}
		b, _ := json.Marshal(l)
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ans, err := q.Ask(actx, sweepLookupSubject, b)
		cancel()
		if err != nil {
			return nil, err
		}
		var got sweepRecorded
		if err := json.Unmarshal(ans, &got); err != nil {
			return nil, fmt.Errorf("the run store's answer: %w", err)
		}
		if got.Error != "" {
			return nil, fmt.Errorf("the run store's answer: %s", got.Error)
		}
		for k, v := range got.Runs {
			out[k] = v
		}
	}
	return out, nil
}

// fillRunIDs asks the server that records the runs for their IDs; it
// records a result a moment after the sweep reads it, so it asks again
// for a while. A run it still lacks keeps an empty run_id (it is
// recorded when that server reads it).
func (s *sweeper) fillRunIDs(ctx context.Context, q *queue.Queue, rows map[string]*sweepRow) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var missing []sweepRun
		for _, row := range rows {
			if row.RunID == "" {
				missing = append(missing, row.Run)
			}
		}
		if len(missing) == 0 {
			return
		}
		held, err := s.lookup(ctx, q, missing)
		if err == nil {
			for _, r := range missing {
				if rec, ok := held[s.storeKey(r)]; ok {
					rows[r.JobID].RunID = rec.ID
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.logf("%d runs are not yet in the run store of the server that holds %s (%v); it records them as it reads the queue\n", len(missing), s.webStore, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// report prints the cells and writes cells.csv and runs.csv.
func (s *sweeper) report(rows map[string]*sweepRow) error {
	if err := os.MkdirAll(s.out, 0o755); err != nil {
		return err
	}
	var raw bytes.Buffer
	rw := csv.NewWriter(&raw)
	rw.Write([]string{"cell", "sampler", "space", "override", "seed", "tau", "rho", "top10", "archs", "train_seconds", "rank_seconds", "worker", "run_id", "job", "error"})
	var cells bytes.Buffer
	cw := csv.NewWriter(&cells)
	cw.Write([]string{"cell", "sampler", "space", "override", "runs", "failed", "tau_mean", "tau_sd", "rho_mean", "rho_sd", "top10_mean", "top10_sd"})
	ff := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	var text strings.Builder
	fmt.Fprintf(&text, "%-4s %-16s %-6s %-24s %4s  %-15s  %-15s  %-15s\n", "cell", "sampler", "space", "override", "runs", "Kendall tau", "Spearman rho", "top-10% prec.")
	var parked []string
	seen := map[string]bool{}
	for _, c := range s.plan.Cells {
		var tau, rho, top []float64
		failed := 0
		for _, r := range s.plan.Runs {
			if r.Cell != c.Index {
				continue
			}
			row := rows[r.JobID]
			rec := []string{strconv.Itoa(c.Index), c.Sampler, c.Space, c.Override, strconv.FormatUint(r.Seed, 10)}
			if row.Done != nil {
				d := row.Done
				tau, rho, top = append(tau, d.Tau), append(rho, d.Rho), append(top, d.Top10)
				rec = append(rec, ff(d.Tau), ff(d.Rho), ff(d.Top10), strconv.Itoa(d.Archs), ff(d.TrainSeconds), ff(d.RankSeconds))
			} else {
				failed++
				rec = append(rec, "", "", "", "", "", "")
				if !seen[r.JobID] {
					parked = append(parked, fmt.Sprintf("%s seed %d: %s", c.Sampler, r.Seed, row.Error))
				}
			}
			seen[r.JobID] = true
			rw.Write(append(rec, row.Worker, row.RunID, r.JobID, row.Error))
		}
		tm, ts := stat.MeanSD(tau)
		rm, rs := stat.MeanSD(rho)
		pm, ps := stat.MeanSD(top)
		cw.Write([]string{strconv.Itoa(c.Index), c.Sampler, c.Space, c.Override, strconv.Itoa(len(tau)), strconv.Itoa(failed), ff(tm), ff(ts), ff(rm), ff(rs), ff(pm), ff(ps)})
		fmt.Fprintf(&text, "%-4d %-16s %-6s %-24s %4d  %6.3f ± %-6.3f  %6.3f ± %-6.3f  %6.3f ± %-6.3f\n", c.Index, c.Sampler, c.Space, c.Override, len(tau), tm, ts, rm, rs, pm, ps)
	}
	rw.Flush()
	cw.Flush()
	if err := writeFileAtomic(filepath.Join(s.out, "runs.csv"), raw.Bytes()); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(s.out, "cells.csv"), cells.Bytes()); err != nil {
		return err
	}
	fmt.Print(text.String())
	s.logf("wrote %s and %s\n", filepath.Join(s.out, "cells.csv"), filepath.Join(s.out, "runs.csv"))
	if len(parked) > 0 {
		return fmt.Errorf("%d runs were parked (failed on every delivery):\n  %s", len(parked), strings.Join(parked, "\n  "))
	}
	return nil
}
