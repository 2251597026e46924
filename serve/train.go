package main

import (
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
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/train"
	"pada/serve/native"
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
func loadTruth(c run.Config) (*groundtruth.Table, error) {
	return native.LoadTruth(c, native.HostFiles{})
}

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
	if err := native.CheckMachine(c); err != nil {
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
	res, err := native.Run(c, *threads, *initFrom, events, progressWriter(*quiet))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s/%s: Kendall tau %.4f, Spearman rho %.4f, top-10%% precision %.3f over %d architectures; trained in %.1fs, ranked in %.1fs\n",
		c.Sampler.Path, c.Sampler.Data, res.Done.Tau, res.Done.Rho, res.Done.Top10, res.Done.Archs, res.Done.TrainSeconds, res.Done.RankSeconds)
	if t := res.Session.Truth(); t != nil && t.SeedTau > 0 {
		fmt.Fprintf(os.Stderr, "  the ground truth's own seeds agree to Kendall tau %.2f (%d architectures trained twice); a perfect supernet would score about %.2f\n", t.SeedTau, t.Doubly, t.Ceiling)
	}
	train.FormatAssessment(os.Stderr, res.Done.Tau, res.Done.Assessment)
	if *out == "" {
		return nil
	}
	var csv bytes.Buffer
	if err := res.Session.WriteCSV(&csv); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(*out, "ranking.csv"), csv.Bytes()); err != nil {
		return err
	}
	var w bytes.Buffer
	if err := checkpoint.Write(&w, res.Session.Trainer().Net(), nil); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(*out, "weights.npz"), w.Bytes())
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
	if err := native.LoadWeights(*weights, net); err != nil {
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
