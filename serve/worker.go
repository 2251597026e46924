package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"pada/core/data/digest"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/train"
	"pada/serve/native"
	"pada/serve/queue"
)

// The kinds of job a worker does.
const (
	jobGroundTruth = "groundtruth" // one architecture x seed of a ground-truth build
	jobRun         = "run"         // one run of a sweep
)

// gtJob is one architecture trained stand-alone with one seed.
type gtJob struct {
	Config run.Config `json:"config"` // the schedule; its seed is the data seed
	// DataHash is the protocol's: a worker whose data differ (another
	// dataset file on its machine) refuses the job.
	DataHash  string `json:"data_hash"`
	Arch      string `json:"arch"`
	SeedIndex int    `json:"seed_index"` // the seed's column in the table
	Seed      uint64 `json:"seed"`
}

type gtResult struct {
	Arch      string  `json:"arch"`
	SeedIndex int     `json:"seed_index"`
	Acc       float64 `json:"acc"`
	Seconds   float64 `json:"seconds"`
	Params    int     `json:"params"`
	FLOPs     float64 `json:"flops"`
}

// runJob is one whole run (training, then ranking).
type runJob struct {
	Config run.Config `json:"config"`
}

type runResult struct {
	// Config is the run's, so that a recorder that did not submit it
	// (serve web's) can store it.
	Config  *run.Config       `json:"config,omitempty"`
	Done    *run.Done         `json:"done"`
	Events  []json.RawMessage `json:"events"`
	Dropped int               `json:"dropped_steps,omitempty"` // step events left out to fit a message
}

// maxEventBytes bounds the events a run's result carries (the server
// takes 8 MiB messages); beyond it the step events are left out.
const maxEventBytes = 6 << 20

const workerUsage = `usage: go run ./serve worker -nats URL [flags]

worker takes jobs (runs of a sweep, architecture x seed runs of a
ground-truth build) from the NATS JetStream queue at URL, one at a time
per -jobs slot, until interrupted. A job it is doing when interrupted or
killed goes to another worker after the queue's ack wait. Credentials:
-token (or $PADA_NATS_TOKEN) or -nkey SEEDFILE; -ca FILE for a TLS server.`

// natsFlags are the client flags of every command that joins a queue.
type natsFlags struct {
	url, token, nkey, ca *string
}

func addNATSFlags(fs *flag.FlagSet, urlHelp string) natsFlags {
	return natsFlags{
		url:   fs.String("nats", "", urlHelp),
		token: fs.String("token", "", "the queue's token (default $PADA_NATS_TOKEN)"),
		nkey:  fs.String("nkey", "", "a file holding an NKey user seed (SU...) to sign in with"),
		ca:    fs.String("ca", "", "the certificate authority (PEM) of a TLS server (tls:// URL)"),
	}
}

func (n natsFlags) creds() queue.Creds {
	tok := *n.token
	if tok == "" {
		tok = os.Getenv("PADA_NATS_TOKEN")
	}
	return queue.Creds{Token: tok, NKeySeed: *n.nkey, CAFile: *n.ca}
}

func workerCmd(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), workerUsage+"\n\nflags:")
		fs.PrintDefaults()
	}
	nf := addNATSFlags(fs, "the queue's server, e.g. nats://10.0.0.5:4222 (required)")
	jobs := fs.Int("jobs", 1, "jobs at once")
	threads := fs.Int("threads", 0, "threads of a sweep run (default: cores / -jobs); a ground-truth run uses one")
	name := fs.String("name", "", "this worker's name in results (default host-pid)")
	quiet := fs.Bool("q", false, "no line per job")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *nf.url == "" {
		return errors.New("-nats URL is required")
	}
	if *jobs < 1 {
		return fmt.Errorf("-jobs %d: want at least 1", *jobs)
	}
	if *threads == 0 {
		*threads = max(1, runtime.NumCPU() / *jobs)
	}
	if *name == "" {
		*name = queue.HostName()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := &worker{threads: *threads}
	if !*quiet {
		w.logf = func(format string, a ...any) { fmt.Fprintf(os.Stderr, format, a...) }
	}
	o := queue.Options{Creds: nf.creds(), Name: *name}
	if w.logf != nil {
		o.Logf = w.logf
	}
	return w.serve(ctx, *nf.url, o, *jobs)
}

// worker does jobs; it keeps the data and trainers of the last
// ground-truth schedule it saw, since a build sends hundreds of jobs of
// one schedule.
type worker struct {
	threads int
	logf    func(string, ...any) // nil: quiet

	mu    sync.Mutex
	gtKey string    // the schedule (Config JSON) of gts
	gts   []*gtSlot // at most one per concurrent job
}

type gtSlot struct {
	busy bool
	st   *train.Standalone
	be   *nn.CPU
	hash string
}

// serve connects and works with slots concurrent jobs until ctx is done.
func (w *worker) serve(ctx context.Context, url string, o queue.Options, slots int) error {
	q, err := queue.Connect(ctx, url, o)
	if err != nil {
		return err
	}
	defer q.Close()
	defer w.close()
	if w.logf != nil {
		w.logf("worker %s: taking jobs from %s (%d at once)\n", o.Name, url, slots)
	}
	errs := make(chan error, slots)
	for range slots {
		go func() { errs <- q.Work(ctx, w.handle) }()
	}
	var first error
	for range slots {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (w *worker) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.gts {
		s.be.Close()
	}
	w.gts, w.gtKey = nil, ""
}

// handle does one job.
func (w *worker) handle(ctx context.Context, j queue.Job, progress func()) (json.RawMessage, error) {
	start := time.Now()
	if w.logf != nil {
		w.logf("%s %s: started (%s)\n", j.Batch, j.ID, j.Kind)
	}
	var out any
	var err error
	switch j.Kind {
	case jobGroundTruth:
		var g gtJob
		if err := decodeStrict(j.Body, &g); err != nil {
			return nil, fmt.Errorf("job %s: %w", j.ID, err)
		}
		out, err = w.groundTruth(ctx, g)
	case jobRun:
		var r runJob
		if err := decodeStrict(j.Body, &r); err != nil {
			return nil, fmt.Errorf("job %s: %w", j.ID, err)
		}
		out, err = w.run(r, progress)
	default:
		return nil, fmt.Errorf("job %s: unknown kind %q", j.ID, j.Kind)
	}
	if w.logf != nil {
		status := "done"
		if err != nil {
			status = "failed: " + err.Error()
		}
		w.logf("%s %s: %s in %.1fs\n", j.Batch, j.ID, status, time.Since(start).Seconds())
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// groundTruth trains one architecture with one seed, exactly as a local
// build's worker does (train.Standalone).
func (w *worker) groundTruth(ctx context.Context, g gtJob) (gtResult, error) {
	if err := g.Config.Validate(); err != nil {
		return gtResult{}, err
	}
	a, err := space.Parse(g.Arch)
	if err != nil {
		return gtResult{}, fmt.Errorf("arch: %w", err)
	}
	slot, err := w.gtSlot(g)
	if err != nil {
		return gtResult{}, err
	}
	defer func() {
		w.mu.Lock()
		slot.busy = false
		w.mu.Unlock()
	}()
	res, err := slot.st.Train(ctx, a, g.Seed)
	if err != nil {
		return gtResult{}, err
	}
	return gtResult{Arch: g.Arch, SeedIndex: g.SeedIndex, Acc: res.Acc, Seconds: res.Seconds,
		Params: slot.st.Net().ParamCount(a), FLOPs: groundtruth.FLOPs(g.Config.Shape, a)}, nil
}

// gtSlot returns a free trainer for g's schedule, making one (and
// checking the data against the protocol's hash) when none is free.
func (w *worker) gtSlot(g gtJob) (*gtSlot, error) {
	kb, _ := json.Marshal(g.Config)
	key := string(kb)
	w.mu.Lock()
	if key == w.gtKey {
		for _, s := range w.gts {
			if !s.busy {
				if s.hash != g.DataHash {
					w.mu.Unlock()
					return nil, fmt.Errorf("this worker's data (%s) differ from the table's (%s)", s.hash, g.DataHash)
				}
				s.busy = true
				w.mu.Unlock()
				return s, nil
			}
		}
	}
	w.mu.Unlock()
	trainFile, evalFile, err := loadData(g.Config)
	if err != nil {
		return nil, err
	}
	hash := "train:" + digest.Of(trainFile) + " eval:" + digest.Of(evalFile)
	if hash != g.DataHash {
		return nil, fmt.Errorf("this worker's data (%s) differ from the table's (%s)", hash, g.DataHash)
	}
	sets, err := train.BuildSets(g.Config, trainFile, evalFile)
	if err != nil {
		return nil, err
	}
	if sets.Eval == nil {
		return nil, fmt.Errorf("eval.split %q: no such split in dataset %q", g.Config.Eval.Split, g.Config.Data.Name)
	}
	be := nn.NewCPU(1)
	st, err := train.NewStandalone(g.Config, be, sets.Train, sets.Eval)
	if err != nil {
		be.Close()
		return nil, err
	}
	s := &gtSlot{busy: true, st: st, be: be, hash: hash}
	w.mu.Lock()
	defer w.mu.Unlock()
	if key != w.gtKey {
		// Keep the trainers of one schedule only.
		for _, o := range w.gts {
			if !o.busy {
				o.be.Close()
			}
		}
		w.gts, w.gtKey = nil, key
	}
	w.gts = append(w.gts, s)
	return s, nil
}

// run trains and ranks one Config.
func (w *worker) run(j runJob, progress func()) (runResult, error) {
	var events bytes.Buffer
	res, err := native.Run(j.Config, w.threads, "", &events, func(e run.Event, _ *run.Started) {
		if e.Type == run.TypeEpoch {
			progress()
		}
	})
	if err != nil {
		return runResult{}, err
	}
	if res.Done == nil {
		return runResult{}, errors.New("the run ended without a result")
	}
	out := runResult{Config: &j.Config, Done: res.Done}
	lines := bytes.Split(bytes.TrimSpace(events.Bytes()), []byte("\n"))
	keepSteps := events.Len() <= maxEventBytes
	for _, l := range lines {
		if !keepSteps && bytes.Contains(l, []byte(`"type":"step"`)) {
			out.Dropped++
			continue
		}
		out.Events = append(out.Events, json.RawMessage(bytes.Clone(l)))
	}
	return out, nil
}

// dataDir is the user's folder for the server's files:
// ~/.config/pada on Linux.
func dataDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "pada"), nil
}

func numCPU() int { return runtime.NumCPU() }
