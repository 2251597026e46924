package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"pada/core/checkpoint"
	"pada/core/gemm"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/supernet"
	"pada/core/train"
)

// overrides are the flags that change single Config fields.
type overrides struct {
	path, mode, data *string
	space            *string
	seed             *int64
	epochs           *int
	unbiased         *bool
}

func overrideFlags(fs *flag.FlagSet) overrides {
	return overrides{
		path:     fs.String("path", "", "override sampler.path: "+run.Alternatives(run.PathSamplers)),
		mode:     fs.String("path-mode", "", "override sampler.path_mode: "+run.Alternatives(run.PathModes)),
		data:     fs.String("data", "", "override sampler.data: "+run.Alternatives(run.DataSamplers)),
		space:    fs.String("space", "", "override the search space: nb201 or nb201-small (eval.truth must then be a table of that space, or empty)"),
		seed:     fs.Int64("seed", -1, "override the run seed"),
		epochs:   fs.Int("epochs", 0, "override the number of epochs"),
		unbiased: fs.Bool("unbiased", false, "use the unbiased importance weights"),
	}
}

func (o overrides) apply(c *run.Config) error {
	if *o.path != "" {
		c.Sampler.Path = *o.path
	}
	if *o.mode != "" {
		c.Sampler.PathMode = *o.mode
	}
	if *o.data != "" {
		c.Sampler.Data = *o.data
	}
	if *o.space != "" {
		c.Space = *o.space
	}
	if *o.seed >= 0 {
		c.Seed = uint64(*o.seed)
	}
	if *o.epochs > 0 {
		c.Epochs = *o.epochs
	}
	if *o.unbiased {
		c.Sampler.Unbiased = true
	}
	return c.Validate()
}

// loadTruth opens the ground-truth table a Config names ("" for none),
// as the user's own file.
func loadTruth(c run.Config) (*groundtruth.Table, error) { return loadTruthFrom(c, hostFiles{}) }

func trainCmd(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cfg := configFlags(fs)
	ov := overrideFlags(fs)
	out := fs.String("out", "", "write events.jsonl, ranking.csv, config.json and weights.npz here")
	threads := fs.Int("threads", runtime.NumCPU(), "goroutines for the CPU backend")
	quiet := fs.Bool("q", false, "no progress bar")
	initFrom := fs.String("init", "", "start from these weights (.npz from export or train) instead of a fresh initialisation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := cfg()
	if err != nil {
		return err
	}
	if err := ov.apply(&c); err != nil {
		return err
	}
	if err := checkMachine(c); err != nil {
		return err
	}
	var events io.Writer = os.Stdout
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		cj, _ := json.MarshalIndent(c, "", "  ")
		if err := writeFileAtomic(filepath.Join(*out, "config.json"), append(cj, '\n')); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(*out, "events.jsonl"))
		if err != nil {
			return err
		}
		defer f.Close()
		events = f
	}
	res, err := runSession(c, *threads, *initFrom, events, progressWriter(*quiet))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s/%s: Kendall tau %.4f, Spearman rho %.4f, top-10%% precision %.3f over %d architectures; trained in %.1fs, ranked in %.1fs\n",
		c.Sampler.Path, c.Sampler.Data, res.done.Tau, res.done.Rho, res.done.Top10, res.done.Archs, res.done.TrainSeconds, res.done.RankSeconds)
	if t := res.session.Truth(); t != nil && t.SeedTau > 0 {
		fmt.Fprintf(os.Stderr, "  the ground truth's own seeds agree to Kendall tau %.2f (%d architectures trained twice); a perfect supernet would score about %.2f\n", t.SeedTau, t.Doubly, t.Ceiling)
	}
	train.FormatAssessment(os.Stderr, res.done.Tau, res.done.Assessment)
	if *out == "" {
		return nil
	}
	var csv bytes.Buffer
	if err := res.session.WriteCSV(&csv); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(*out, "ranking.csv"), csv.Bytes()); err != nil {
		return err
	}
	var w bytes.Buffer
	if err := checkpoint.Write(&w, res.session.Trainer().Net(), nil); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(*out, "weights.npz"), w.Bytes())
}

type result struct {
	session *train.Session
	done    *run.Done
}

// runInputs are what a native session of a Config is built from: the
// run as train.Prepare assembles it, on a supernet initialised from the
// run seed on its own CPU backend. The command line and the HTTP API
// both build sessions here so that the same Config gives the same events
// either way.
type runInputs struct {
	*train.Prepared
	be *nn.CPU
}

// prepareRun loads everything a session of c needs. initFrom, if not
// empty, names weights (.npz) to start from. Close releases the backend.
func prepareRun(c run.Config, threads int, initFrom string) (*runInputs, error) {
	return prepareRunFrom(c, threads, initFrom, hostFiles{})
}

// prepareRunFrom is prepareRun reading files through files.
func prepareRunFrom(c run.Config, threads int, initFrom string, files dataFiles) (*runInputs, error) {
	trainFile, evalFile, err := loadDataFrom(c, files)
	if err != nil {
		return nil, err
	}
	be := nn.NewCPU(threads)
	p, err := train.Prepare(c, train.Inputs{Train: trainFile, Eval: evalFile,
		Truth:   func() (*groundtruth.Table, error) { return loadTruthFrom(c, files) },
		Backend: be, BackendName: fmt.Sprintf("go-cpu/%s x%d", gemm.Kernel(), threads)})
	if err != nil {
		be.Close()
		return nil, err
	}
	if initFrom != "" {
		if err := loadWeights(initFrom, p.Net); err != nil {
			be.Close()
			return nil, err
		}
	}
	return &runInputs{Prepared: p, be: be}, nil
}

// start opens a fresh session; it emits the started event.
func (in *runInputs) start(emit func(run.Event)) (*train.Session, error) { return in.Start(emit) }

// Close stops the backend's workers.
func (in *runInputs) Close() { in.be.Close() }

// runSession runs a whole Config natively, writing events as JSON lines.
func runSession(c run.Config, threads int, initFrom string, events io.Writer, progress func(run.Event, *run.Started)) (*result, error) {
	in, err := prepareRun(c, threads, initFrom)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	bw := bufio.NewWriter(events)
	enc := json.NewEncoder(bw)
	var started *run.Started
	var done *run.Done
	var werr error
	emit := func(e run.Event) {
		if e.Started != nil {
			started = e.Started
		}
		if e.Done != nil {
			done = e.Done
		}
		if err := enc.Encode(e); err != nil && werr == nil {
			werr = err
		}
		if e.Type != run.TypeStep {
			bw.Flush() // an epoch or rank event is worth keeping at once
		}
		if progress != nil {
			progress(e, started)
		}
	}
	s, err := in.start(emit)
	if err != nil {
		return nil, err
	}
	for s.Advance() {
		if werr != nil {
			return nil, fmt.Errorf("writing events: %w", werr)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return &result{session: s, done: done}, nil
}

// progressWriter draws a one-line progress bar with ETA on a terminal.
func progressWriter(quiet bool) func(run.Event, *run.Started) {
	if quiet {
		return nil
	}
	if st, err := os.Stderr.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	start := time.Now()
	return func(e run.Event, s *run.Started) {
		if s == nil {
			return
		}
		total := float64(s.Config.Epochs*s.StepsPerEpoch + s.Archs)
		var done float64
		label := ""
		switch {
		case e.Step != nil:
			done = float64(e.Step.Step)
			label = fmt.Sprintf("epoch %d/%d loss %.3f", e.Step.Epoch+1, s.Config.Epochs, e.Step.Loss)
		case e.Epoch != nil:
			done = float64((e.Epoch.Epoch + 1) * s.StepsPerEpoch)
			label = fmt.Sprintf("epoch %d/%d val %.1f%%", e.Epoch.Epoch+1, s.Config.Epochs, e.Epoch.ValAcc)
		case e.Rank != nil:
			done = float64(s.Config.Epochs*s.StepsPerEpoch + e.Rank.Done)
			label = fmt.Sprintf("ranked %d/%d tau %.3f", e.Rank.Done, e.Rank.Total, e.Rank.Tau)
		case e.Done != nil:
			fmt.Fprintln(os.Stderr)
			return
		default:
			return
		}
		frac := done / total
		el := time.Since(start)
		eta := "?"
		if frac > 0 {
			eta = (time.Duration(float64(el)/frac) - el).Round(time.Second).String()
		}
		const width = 30
		bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
		fmt.Fprintf(os.Stderr, "\r[%s] %5.1f%% %-32s ETA %s   ", bar, 100*frac, label, eta)
	}
}

func rankCmd(args []string) error {
	fs := flag.NewFlagSet("rank", flag.ContinueOnError)
	cfg := configFlags(fs)
	weights := fs.String("weights", "", "supernet weights (.npz from train or export; required)")
	truthPath := fs.String("truth", "", "ground-truth table (NB201 CSV or the project's format); default: the config's")
	out := fs.String("out", "", "write the ranking CSV here (default stdout)")
	threads := fs.Int("threads", runtime.NumCPU(), "goroutines for the CPU backend")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *weights == "" {
		return errors.New("-weights FILE.npz is required")
	}
	c, err := cfg()
	if err != nil {
		return err
	}
	if *truthPath != "" {
		c.Eval.Truth = *truthPath
	}
	trainFile, evalFile, err := loadData(c)
	if err != nil {
		return err
	}
	be := nn.NewCPU(*threads)
	defer be.Close()
	pr, err := train.Prepare(c, train.Inputs{Train: trainFile, Eval: evalFile, Backend: be,
		Truth: func() (*groundtruth.Table, error) { return loadTruth(c) }})
	if err != nil {
		return err
	}
	sets, archs, truth, net := pr.Sets, pr.Archs, pr.Truth.Acc, pr.Net
	if sets.Eval == nil {
		return fmt.Errorf("eval.split %q: no such split in dataset %q", c.Eval.Split, c.Data.Name)
	}
	if err := loadWeights(*weights, net); err != nil {
		return err
	}
	ev := rank.NewEvaluator(net, sets.Eval, c.Eval.Images)
	pred := make([]float64, len(archs))
	var p, t []float64
	for i, a := range archs {
		pred[i] = ev.Accuracy(a)
		if truth[i] >= 0 {
			p, t = append(p, pred[i]), append(t, truth[i])
		}
	}
	px := train.ProxiesOf(net, archs)
	var b strings.Builder
	if err := train.WriteRanking(&b, net.Space(), archs, pred, truth, px); err != nil {
		return err
	}
	if *out == "" {
		fmt.Print(b.String())
	} else if err := writeFileAtomic(*out, []byte(b.String())); err != nil {
		return err
	}
	if len(p) >= 2 {
		tau := rank.KendallTau(p, t)
		fmt.Fprintf(os.Stderr, "Kendall tau %.4f, Spearman rho %.4f, top-10%% precision %.3f over %d architectures\n",
			tau, rank.Spearman(p, t), rank.TopOverlap(p, t, 0.1), len(p))
		train.FormatAssessment(os.Stderr, tau, train.Assess(pred, truth, px, c.Seed))
	}
	return nil
}

// loadWeights reads an .npz export into net.
func loadWeights(path string, net *supernet.Net) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := checkpoint.Read(f, st.Size(), net); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
