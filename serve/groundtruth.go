package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"pada/core/data"
	"pada/core/data/digest"
	"pada/core/groundtruth"
	"pada/core/run"
	"pada/core/space"
	"pada/core/train"
	"pada/serve/queue"
)

const groundtruthUsage = `usage: go run ./serve groundtruth build [flags] -out TABLE.csv
       go run ./serve groundtruth report -table TABLE.csv

build trains architectures stand-alone (fresh weights, one path of the
preset's network) and appends one row per isomorphism class to TABLE.csv,
synced as each architecture finishes. Rerun the same command after an
interruption to continue: rows already in the table are kept, and a table
made under another protocol (preset, shape, dataset, schedule, seeds) is
refused. report prints a table's size, accuracy spread, seed-to-seed
Kendall tau and training time.`

// groundtruthCmd runs `groundtruth build` and `groundtruth report`.
func groundtruthCmd(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "build":
			return groundtruthBuildCmd(args[1:])
		case "report":
			return groundtruthReportCmd(args[1:])
		case "-h", "-help", "--help":
			fmt.Fprintln(os.Stderr, groundtruthUsage)
			return flag.ErrHelp
		}
	}
	return errors.New("want `groundtruth build` or `groundtruth report`; see `go run ./serve groundtruth -h`")
}

// gtBuild is one `groundtruth build`.
type gtBuild struct {
	cfg        run.Config // the schedule; its seed is the data seed
	archs      string     // all, unique or sample:K
	sampleSeed uint64
	seeds      []uint64
	doubly     int // classes that get every seed; -1 = all
	workers    int
	out        string
	log        io.Writer // progress; nil = none
	// natsURL, if set, is a queue to send the runs to when workers
	// answer there (see queueBuild); creds sign in to it.
	natsURL  string
	natsAuto bool // natsURL is only a guess: no server there means local
	creds    queue.Creds
	// load reads the data cfg names (loadData; tests swap in their own).
	load func(run.Config) (*data.Set, *data.Set, error)
}

func groundtruthBuildCmd(args []string) error {
	fs := flag.NewFlagSet("groundtruth build", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), groundtruthUsage+"\n\nbuild flags:")
		fs.PrintDefaults()
	}
	preset := fs.String("preset", "", "the preset whose stand-alone schedule to use: mini (the default)")
	file := fs.String("config", "", "use this run Config (JSON) as the schedule instead: its shape, data, epochs, optimiser and eval split; its seed is the data seed")
	spaceName := fs.String("space", "", "search space: nb201 (the default) or nb201-small; overrides the config's")
	epochs := fs.Int("epochs", 0, "override the schedule's epochs (for pilots: the table records it)")
	archs := fs.String("archs", "sample:500", "architectures: all, unique (both: one per isomorphism class, 6,466) or sample:K (K classes drawn uniformly)")
	sampleSeed := fs.Uint64("sample-seed", 0, "seed of sample:K (samples of one seed are nested, so a larger K extends a table)")
	seedList := fs.String("seeds", "0,1", "training seeds, comma-separated")
	doubly := fs.Int("second-seed-for", -1, "train the seeds after the first only for the first K classes of the list (-1: all)")
	workers := fs.Int("workers", runtime.NumCPU(), "architectures trained at once, each on one thread")
	out := fs.String("out", "", "the table to write or continue (required)")
	quiet := fs.Bool("q", false, "no progress lines")
	nf := addNATSFlags(fs, "send the runs to the workers of this queue when any answer, and build locally when none does; auto: the queue that serve web runs on this machine (nats://"+queue.DefaultListen+"), if one does; off: always locally")
	fs.Lookup("nats").DefValue = "auto"
	fs.Set("nats", "auto")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("-out TABLE.csv is required")
	}
	var c run.Config
	switch {
	case *preset != "" && *file != "":
		return errors.New("give -preset or -config, not both")
	case *file != "":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		c, err = run.ParseConfig(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	case *preset == "" || *preset == "mini":
		c = groundtruth.MiniSchedule()
	case *preset == "nb201":
		return errors.New("-preset nb201: its ground truth is NAS-Bench-201 (eval.truth); there is no stand-alone schedule for it here (give one with -config)")
	default:
		return fmt.Errorf("-preset %q: want mini", *preset)
	}
	if *epochs > 0 {
		c.Epochs = *epochs
	}
	if *spaceName != "" {
		c.Space = *spaceName
	}
	if err := c.Validate(); err != nil {
		return err
	}
	seeds, err := parseSeeds(*seedList)
	if err != nil {
		return err
	}
	if *workers < 1 {
		return fmt.Errorf("-workers %d: want at least 1", *workers)
	}
	o := gtBuild{cfg: c, archs: *archs, sampleSeed: *sampleSeed, seeds: seeds, doubly: *doubly,
		workers: *workers, out: *out, load: loadData, natsURL: *nf.url, creds: nf.creds()}
	switch o.natsURL {
	case "auto":
		o.natsURL, o.natsAuto = "nats://"+queue.DefaultListen, true
	case "off":
		o.natsURL = ""
	}
	if !*quiet {
		o.log = os.Stderr
	}
	// An interrupt stops the build between two training steps; finished
	// rows are already on disk.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second interrupt kills at once
	}()
	return o.run(ctx)
}

// parseSeeds reads -seeds: distinct non-negative integers.
func parseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	seen := map[uint64]bool{}
	for i, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("-seeds %q: item %d (%q) is not a seed", s, i+1, f)
		}
		if seen[v] {
			return nil, fmt.Errorf("-seeds %q: seed %d is given twice", s, v)
		}
		seen[v] = true
		seeds = append(seeds, v)
	}
	return seeds, nil
}

// archList resolves -archs.
func archList(sp *space.Space, spec string, seed uint64) ([]space.Arch, error) {
	switch {
	case spec == "all":
		return sp.All(), nil
	case spec == "unique":
		return sp.Unique(), nil
	case strings.HasPrefix(spec, "sample:"):
		k, ok := run.ParseSample(spec)
		if !ok {
			return nil, fmt.Errorf("-archs %q: want sample:K with K >= 1", spec)
		}
		return groundtruth.SampleIn(sp, k, seed), nil
	}
	return nil, fmt.Errorf("-archs %q: want all, unique or sample:K", spec)
}

func (o gtBuild) logf(format string, args ...any) {
	if o.log != nil {
		fmt.Fprintf(o.log, format, args...)
	}
}

// run builds or continues the table.
func (o gtBuild) run(ctx context.Context) error {
	sp, err := o.cfg.SearchSpace()
	if err != nil {
		return err
	}
	archs, err := archList(sp, o.archs, o.sampleSeed)
	if err != nil {
		return err
	}
	if len(o.seeds) == 0 {
		return errors.New("no training seeds")
	}
	// The queue first: a wrong address or credentials are said before
	// the data are read and the table is touched.
	var q *queue.Queue
	if o.natsURL != "" {
		q, err = queue.Connect(ctx, o.natsURL, queue.Options{Creds: o.creds, Name: "groundtruth-" + queue.HostName()})
		switch {
		case err != nil && o.natsAuto:
			q = nil // no queue on this machine: the usual case
		case err != nil:
			return err
		default:
			defer q.Close()
		}
	}
	trainFile, evalFile, err := o.load(o.cfg)
	if err != nil {
		return err
	}
	sets, err := train.BuildSets(o.cfg, trainFile, evalFile)
	if err != nil {
		return err
	}
	if sets.Eval == nil {
		return fmt.Errorf("eval.split %q: no such split in dataset %q", o.cfg.Eval.Split, o.cfg.Data.Name)
	}
	want := groundtruth.NewProtocol(o.cfg, digest.Of(trainFile), digest.Of(evalFile), o.seeds, groundtruth.CodeVersion())

	tbl, err := openTable(o.out, want, o.log)
	if err != nil {
		return err
	}
	if tbl.t.Protocol.Code != want.Code {
		o.logf("note: %s was begun by code %s; this is %s (the protocol comment keeps the first)\n", o.out, tbl.t.Protocol.Code, want.Code)
	}
	tasks := groundtruth.PlanIn(sp, archs, tbl.t, len(o.seeds), o.doubly)
	runs := 0
	for _, t := range tasks {
		runs += len(t.Seeds)
	}
	o.logf("%s: %d rows already; %d architectures to train (%d runs of %d epochs) on %d workers\n",
		o.out, len(tbl.t.Rows), len(tasks), runs, o.cfg.Epochs, o.workers)
	if len(tasks) == 0 {
		return nil
	}

	if q != nil {
		names, err := q.Workers(ctx, time.Second)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			o.logf("%d workers answer on %s: the runs go to the queue\n", len(names), o.natsURL)
			return o.queueBuild(ctx, q, tbl, want, tasks)
		}
		o.logf("no worker answers on %s: building here\n", o.natsURL)
	}

	b := groundtruth.Builder{Config: o.cfg, Train: sets.Train, Eval: sets.Eval, Seeds: o.seeds, Workers: o.workers,
		NewTrainer: train.StandaloneFor(o.cfg, sets.Train, sets.Eval)}
	start := time.Now()
	done := 0
	err = b.Build(ctx, tasks, func(r groundtruth.Row) error {
		if _, err := tbl.put(r); err != nil {
			return err
		}
		done++
		el := time.Since(start)
		eta := time.Duration(float64(el) / float64(done) * float64(len(tasks)-done))
		var accs []string
		for _, v := range r.Seeds {
			if !math.IsNaN(v) {
				accs = append(accs, fmt.Sprintf("%.2f", v))
			}
		}
		o.logf("[%d/%d] %s acc %s (%.0fs) elapsed %s, ETA %s\n", done, len(tasks), sp.Format(r.Arch),
			strings.Join(accs, "/"), r.Seconds, el.Round(time.Second), eta.Round(time.Second))
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %d of %d architectures written to %s; run the same command again to continue", done, len(tasks), o.out)
		}
		return err
	}
	o.logf("%s: done, %d rows added in %s\n", o.out, done, time.Since(start).Round(time.Second))
	return nil
}

// gtTable is a table under construction: its rows in memory, and the
// file rewritten whole after each change (a new file synced, then renamed
// over the old), so that the file on disk is always a complete table
// that a rerun continues. A table of 500 rows is about 150 KB: rewriting
// it after each run of ~25 s costs nothing that matters.
type gtTable struct {
	path string
	t    *groundtruth.Table
}

// put merges r into the table (groundtruth.Table.Put: a seed already
// held is kept, so a result that arrives twice is recorded once) and
// rewrites the file if that changed anything.
func (g *gtTable) put(r groundtruth.Row) (bool, error) {
	changed, err := g.t.Put(r)
	if err != nil || !changed {
		return false, err
	}
	return true, g.write()
}

func (g *gtTable) write() error {
	var b bytes.Buffer
	if err := groundtruth.WriteTable(&b, g.t); err != nil {
		return err
	}
	if err := writeFileAtomic(g.path, b.Bytes()); err != nil {
		return fmt.Errorf("%s: %w", g.path, err)
	}
	if d, err := os.Open(filepath.Dir(g.path)); err == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	return nil
}

// openTable reads the table at path to continue it, or starts one with
// want's header if there is none (or less than a complete header), and
// writes it back at once: a last line cut short by a crash of an older,
// appending build is dropped (with a note on log, which may be nil) and
// a table that grows by a seed gets its new column. A foreign, corrupt
// or differently made table is refused.
func openTable(path string, want groundtruth.Protocol, log io.Writer) (*gtTable, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	have, sound, err := groundtruth.Resume(bytes.NewReader(b), want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sound < int64(len(b)) && have != nil && log != nil {
		fmt.Fprintf(log, "note: %s: dropping its last line, cut short (%d bytes) by an interrupted write\n", path, int64(len(b))-sound)
	}
	if have == nil {
		sp, err := want.SearchSpace()
		if err != nil {
			return nil, err
		}
		have = groundtruth.NewTableIn(sp, nil)
		p := want
		have.Protocol = &p
	}
	g := &gtTable{path: path, t: have}
	return g, g.write()
}

func groundtruthReportCmd(args []string) error {
	fs := flag.NewFlagSet("groundtruth report", flag.ContinueOnError)
	path := fs.String("table", "", "the table (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *path == "" {
		return errors.New("-table TABLE.csv is required")
	}
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := groundtruth.Read(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	return report(os.Stdout, *path, t)
}

// report writes a table's protocol and Stats to w.
func report(w io.Writer, path string, t *groundtruth.Table) error {
	p := t.Protocol
	var shape space.Shape
	if err := json.Unmarshal(p.Shape, &shape); err != nil {
		return fmt.Errorf("%s: line 2: protocol shape: %w", path, err)
	}
	fmt.Fprintf(w, "%s: preset %s, data %s, %d epochs, seeds %v, code %s\n", path, p.Preset, p.Data, p.Epochs, p.Seeds, p.Code)
	fmt.Fprintf(w, "shape %s\nschedule %s\n", p.Shape, p.Schedule)
	_, err := io.WriteString(w, groundtruth.Summarize(t, shape.Classes).String())
	return err
}

// queueBuild sends every (architecture, seed) run of tasks to the queue
// and merges results into the table as they come, until each has one.
// The batch is named by the protocol, so a rerun of an interrupted build
// finds the results its runs already published (and the jobs still
// queued, which the stream does not take twice within its duplicate
// window); the table records a seed once however often it arrives.
func (o gtBuild) queueBuild(ctx context.Context, q *queue.Queue, tbl *gtTable, want groundtruth.Protocol, tasks []groundtruth.Task) error {
	batch := gtBatch(want)
	type key struct {
		arch string
		seed int
	}
	todo := map[key]bool{}
	ids := map[string]key{}
	for _, t := range tasks {
		for _, i := range t.Seeds {
			id := gtJobID(t.Arch, i)
			body, err := json.Marshal(gtJob{Config: o.cfg, DataHash: want.DataHash, Arch: t.Arch.String(), SeedIndex: i, Seed: o.seeds[i]})
			if err != nil {
				return err
			}
			if err := q.Submit(ctx, queue.Job{ID: id, Batch: batch, Kind: jobGroundTruth, Body: body}); err != nil {
				return err
			}
			todo[key{t.Arch.Key(), i}] = true
			ids[id] = key{t.Arch.Key(), i}
		}
	}
	total := len(todo)
	o.logf("%s: %d runs queued as batch %s\n", o.out, total, batch)
	start := time.Now()
	var parked []string
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := q.Results(rctx, batch, func(r queue.Result) error {
		if r.Parked {
			parked = append(parked, fmt.Sprintf("%s: %s (after %d deliveries)", r.JobID, r.Error, r.Attempt))
			o.logf("parked %s: %s\n", r.JobID, r.Error)
			delete(todo, ids[r.JobID])
		} else {
			var g gtResult
			if err := json.Unmarshal(r.Body, &g); err != nil {
				return fmt.Errorf("result of %s: %w", r.JobID, err)
			}
			a, err := space.Parse(g.Arch)
			if err != nil {
				return fmt.Errorf("result of %s: %w", r.JobID, err)
			}
			if g.SeedIndex < 0 || g.SeedIndex >= len(o.seeds) {
				return fmt.Errorf("result of %s: seed index %d of %d", r.JobID, g.SeedIndex, len(o.seeds))
			}
			row := groundtruth.Row{Arch: a, Acc: g.Acc, Seeds: make([]float64, len(o.seeds)),
				Params: g.Params, FLOPs: g.FLOPs, Seconds: g.Seconds}
			for i := range row.Seeds {
				row.Seeds[i] = math.NaN()
			}
			row.Seeds[g.SeedIndex] = g.Acc
			if _, err := tbl.put(row); err != nil {
				return err
			}
			k := key{a.Key(), g.SeedIndex}
			if todo[k] {
				delete(todo, k)
				done := total - len(todo)
				el := time.Since(start)
				eta := time.Duration(float64(el) / float64(done) * float64(len(todo)))
				o.logf("[%d/%d] %s seed %d acc %.2f (%.0fs on %s) elapsed %s, ETA %s\n", done, total, a, o.seeds[g.SeedIndex],
					g.Acc, g.Seconds, r.Worker, el.Round(time.Second), eta.Round(time.Second))
			}
		}
		if len(todo) == 0 {
			cancel()
		}
		return nil
	})
	if len(todo) > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %d of %d runs written to %s; the rest stay queued: run the same command again to collect them", total-len(todo), total, o.out)
		}
		return err
	}
	if len(parked) > 0 {
		return fmt.Errorf("%d runs were parked (failed on every delivery):\n  %s", len(parked), strings.Join(parked, "\n  "))
	}
	o.logf("%s: done, %d runs in %s\n", o.out, total, time.Since(start).Round(time.Second))
	return nil
}

// gtBatch names a build's batch by its protocol (the code version aside):
// builds of one protocol measure the same thing, so they may share
// results.
func gtBatch(p groundtruth.Protocol) string {
	p.Code = ""
	b, _ := json.Marshal(p)
	h := sha256.Sum256(b)
	return "gt-" + hex.EncodeToString(h[:8])
}

// gtJobID names an (isomorphism class, seed) run.
func gtJobID(a space.Arch, seed int) string {
	h := sha256.Sum256([]byte(a.Key()))
	return fmt.Sprintf("%s-s%d", hex.EncodeToString(h[:10]), seed)
}
