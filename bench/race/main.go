// Command race measures the page's default race (the "race" preset) over
// several seeds, natively or in headless Chromium, and prints the table
// the README shows: per seed each sampler's Kendall tau with its 95%
// bootstrap interval and whether the paired comparison names a winner,
// then mean ± sd per sampler and the wall times.
//
//	go run ./bench/race                          # natively, seeds 0-4
//	go run ./bench/race -browser -seeds 0,1      # the page in headless Chromium
//	go run ./bench/race -epochs 8 -archs 40      # a candidate budget
//	go run ./bench/race -list 30                 # print a stratified list of 30
//
// Natively each run is `serve train -config FILE -threads T -q -out DIR`
// (one run at a time, so the wall times do not share the cores); in the
// browser the page is opened with #seed=S&autostart=1 (plus the
// candidate's settings) and both workers race as a user's would.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"pada/core/groundtruth"
	"pada/core/rank/stat"
	"pada/core/run"
	"pada/core/space"
	"pada/core/train"
	"pada/public"
	"pada/ui"
)

type options struct {
	seeds          []uint64
	runs           []string
	epochs, trainN int
	archs, images  int
	threads        int
	browser        bool
	timeout        time.Duration
	space          string
}

func main() {
	seeds := flag.String("seeds", "0,1,2,3,4", "seeds, comma-separated")
	runs := flag.String("runs", "uniform,pada", "samplers (the page's names: uniform, pada, pa, da, fairnas)")
	epochs := flag.Int("epochs", 0, "override epochs (0: the preset's)")
	trainN := flag.Int("train", 0, "override data.train (0: the preset's)")
	archs := flag.Int("archs", 0, "rank a stratified set of this many architectures from the shipped table (0: the preset's list)")
	images := flag.Int("images", 0, "override eval.images (0: the preset's)")
	threads := flag.Int("threads", 1, "threads per native run (a browser worker has one)")
	browser := flag.Bool("browser", false, "race in headless Chromium (the page's two workers) instead of natively")
	timeout := flag.Duration("timeout", 15*time.Minute, "give up on one browser race after this long")
	spaceName := flag.String("space", run.DefaultSpace, "search space: "+strings.Join(space.Names(), ", ")+" (outside nb201 the race ranks every isomorphism class, as the page does)")
	list := flag.Int("list", 0, "print a stratified list of this many architectures from the shipped table and exit")
	flag.Parse()
	if *list > 0 {
		t, err := shippedTable(*spaceName)
		if err != nil {
			fail(err)
		}
		for _, a := range train.Stratified(t, *list) {
			r, _ := t.Lookup(a)
			fmt.Printf("%q, // %.2f%%\n", a.String(), r.Acc)
		}
		return
	}
	o := options{epochs: *epochs, trainN: *trainN, archs: *archs, images: *images, threads: *threads, browser: *browser, timeout: *timeout, space: *spaceName}
	for _, s := range strings.Split(*seeds, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			fail(fmt.Errorf("-seeds: %q is not a seed", s))
		}
		o.seeds = append(o.seeds, v)
	}
	o.runs = strings.Split(*runs, ",")
	for _, r := range o.runs {
		if sampler(r) == nil {
			fail(fmt.Errorf("-runs: unknown sampler %q", r))
		}
	}
	base, err := o.config()
	if err != nil {
		fail(err)
	}
	tmp, err := os.MkdirTemp("", "pada-race-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	exe := filepath.Join(tmp, "serve")
	if out, err := exec.Command("go", "build", "-o", exe, "./serve").CombinedOutput(); err != nil {
		fail(fmt.Errorf("go build ./serve (run this from the repository root): %v\n%s", err, out))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("race: %d epochs of %d images, %d architectures on %d images, seeds %v, %s; load %s",
		base.Epochs, base.Data.Train, len(base.Eval.List), base.Eval.Images, o.seeds, map[bool]string{true: "headless Chromium", false: fmt.Sprintf("native, %d thread(s) per run", o.threads)}[o.browser], string(load))
	var rows []row
	if o.browser {
		rows, err = raceBrowser(exe, tmp, o, base)
	} else {
		rows, err = raceNative(exe, tmp, o, base)
	}
	if err != nil {
		fail(err)
	}
	report(o, rows)
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("load at the end: %s", load)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "race:", err)
	os.Exit(1)
}

func sampler(name string) *struct{ Name, Label, Path, Data string } {
	for _, s := range ui.Samplers {
		if s.Name == name {
			s := s
			return (*struct{ Name, Label, Path, Data string })(&s)
		}
	}
	return nil
}

func shippedTable(spaceName string) (*groundtruth.Table, error) {
	name, err := groundtruth.DefaultFileFor(spaceName)
	if err != nil {
		return nil, err
	}
	f, err := public.Data.Open("data/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return groundtruth.Read(f)
}

// config is the race preset with the candidate's overrides.
func (o options) config() (run.Config, error) {
	c, err := run.Preset("race")
	if err != nil {
		return c, err
	}
	if o.epochs > 0 {
		c.Epochs = o.epochs
	}
	if o.trainN > 0 {
		c.Data.Train = o.trainN
	}
	if o.images > 0 {
		c.Eval.Images = o.images
	}
	c.Space = o.space
	sp, err := c.SearchSpace()
	if err != nil {
		return c, err
	}
	if o.space != run.DefaultSpace {
		// The page's race on a smaller space: every isomorphism class.
		c.Eval.Archs, c.Eval.List = "list", nil
		for _, a := range sp.Unique() {
			c.Eval.List = append(c.Eval.List, sp.Format(a))
		}
	}
	if o.archs > 0 {
		t, err := shippedTable(o.space)
		if err != nil {
			return c, err
		}
		c.Eval.Archs, c.Eval.List = "list", nil
		for _, a := range train.Stratified(t, o.archs) {
			c.Eval.List = append(c.Eval.List, sp.Format(a))
		}
	}
	return c, c.Validate()
}

// result is one run's outcome.
type result struct {
	tau, lo, hi float64
	wall        float64 // seconds
	train, rank float64 // seconds, as the done event says
	ips         float64 // training images per second (browser: per worker)
	rk          stat.Ranking
}

// row is one seed: a result per sampler, in o.runs order.
type row struct {
	seed uint64
	res  []result
	wall float64 // the whole race (browser: click to both results)
}

func raceNative(exe, tmp string, o options, base run.Config) ([]row, error) {
	var rows []row
	for _, seed := range o.seeds {
		rw := row{seed: seed}
		for _, name := range o.runs {
			c := base
			c.Seed = seed
			s := sampler(name)
			c.Sampler.Path, c.Sampler.Data = s.Path, s.Data
			dir := filepath.Join(tmp, fmt.Sprintf("%s-%d", name, seed))
			cf := filepath.Join(tmp, fmt.Sprintf("%s-%d.json", name, seed))
			b, _ := json.Marshal(c)
			if err := os.WriteFile(cf, b, 0o644); err != nil {
				return nil, err
			}
			t0 := time.Now()
			cmd := exec.Command(exe, "train", "-config", cf, "-threads", strconv.Itoa(o.threads), "-q", "-out", dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("%s seed %d: %v\n%s", name, seed, err, out)
			}
			r, err := readRun(dir)
			if err != nil {
				return nil, err
			}
			r.wall = time.Since(t0).Seconds()
			rw.wall += r.wall
			rw.res = append(rw.res, r)
			fmt.Fprintf(os.Stderr, "  seed %d %s: tau %.3f [%.3f, %.3f] in %.1fs\n", seed, name, r.tau, r.lo, r.hi, r.wall)
		}
		rows = append(rows, rw)
	}
	return rows, nil
}

// readRun reads a `serve train -out DIR` run: its done event and ranking.
func readRun(dir string) (result, error) {
	var r result
	f, err := os.Open(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		return r, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var done *run.Done
	var started *run.Started
	for sc.Scan() {
		var e run.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return r, fmt.Errorf("%s: %v", dir, err)
		}
		if e.Done != nil {
			done = e.Done
		}
		if e.Started != nil {
			started = e.Started
		}
	}
	if done == nil || started == nil {
		return r, fmt.Errorf("%s: no started or done event", dir)
	}
	r.tau, r.lo, r.hi = done.Tau, math.NaN(), math.NaN()
	if done.TauCI != nil {
		r.lo, r.hi = done.TauCI.Lo, done.TauCI.Hi
	}
	r.train, r.rank = done.TrainSeconds, done.RankSeconds
	if done.TrainSeconds > 0 {
		r.ips = float64(started.TrainImages*started.Config.Epochs) / done.TrainSeconds
	}
	cf, err := os.Open(filepath.Join(dir, "ranking.csv"))
	if err != nil {
		return r, err
	}
	defer cf.Close()
	recs, err := csv.NewReader(cf).ReadAll()
	if err != nil {
		return r, fmt.Errorf("%s/ranking.csv: %v", dir, err)
	}
	for _, rec := range recs[1:] {
		if rec[2] == "" {
			continue
		}
		p, err1 := strconv.ParseFloat(rec[1], 64)
		t, err2 := strconv.ParseFloat(rec[2], 64)
		if err := errors.Join(err1, err2); err != nil {
			return r, fmt.Errorf("%s/ranking.csv: %v", dir, err)
		}
		r.rk.Archs = append(r.rk.Archs, rec[0])
		r.rk.Pred = append(r.rk.Pred, p)
		r.rk.Truth = append(r.rk.Truth, t)
	}
	return r, nil
}

// hash is the page's URL fragment for a seed of the candidate.
func (o options) hash(base run.Config, seed uint64) string {
	v := url.Values{}
	v.Set("seed", strconv.FormatUint(seed, 10))
	v.Set("autostart", "1")
	v.Set("runs", strings.Join(o.runs, ","))
	if o.space != run.DefaultSpace {
		v.Set("space", o.space)
	}
	if o.epochs > 0 {
		v.Set("epochs", strconv.Itoa(o.epochs))
	}
	if o.trainN > 0 {
		v.Set("train", strconv.Itoa(o.trainN))
	}
	if o.images > 0 {
		v.Set("evalimages", strconv.Itoa(o.images))
	}
	if o.archs > 0 {
		b, _ := json.Marshal(map[string]any{"eval": map[string]any{"archs": "list", "list": base.Eval.List}})
		v.Set("archs", strconv.Itoa(len(base.Eval.List)))
		v.Set("config", string(b))
	}
	return v.Encode()
}

func report(o options, rows []row) {
	fmt.Printf("\n| seed |")
	for _, r := range o.runs {
		fmt.Printf(" %s τ [95%% interval] |", ui.SamplerLabel(r))
	}
	cmp := len(o.runs) == 2
	if cmp {
		fmt.Printf(" %s − %s (paired) |", ui.SamplerLabel(o.runs[1]), ui.SamplerLabel(o.runs[0]))
	}
	if o.browser {
		fmt.Printf(" images/s per worker |")
	} else {
		fmt.Printf(" train + rank s per run |")
	}
	fmt.Printf(" wall s |\n|---|")
	for range o.runs {
		fmt.Printf("---|")
	}
	if cmp {
		fmt.Printf("---|")
	}
	fmt.Printf("---|---|\n")
	taus := make([][]float64, len(o.runs))
	var walls []float64
	below := 0
	for _, rw := range rows {
		fmt.Printf("| %d |", rw.seed)
		var parts []string
		for i, r := range rw.res {
			fmt.Printf(" %.3f [%.2f, %.2f] |", r.tau, r.lo, r.hi)
			taus[i] = append(taus[i], r.tau)
			if r.tau < 0.1 {
				below++
			}
			if o.browser {
				parts = append(parts, fmt.Sprintf("%.0f", r.ips))
			} else {
				parts = append(parts, fmt.Sprintf("%.1f + %.1f", r.train, r.rank))
			}
		}
		if cmp && len(rw.res) == 2 && len(rw.res[0].rk.Archs) > 0 {
			d := stat.Compare(rw.res[1].rk, rw.res[0].rk, stat.Bootstrap{Seed: rw.seed})
			fmt.Printf(" %+.3f [%+.2f, %+.2f] %s |", d.Delta, d.CI.Lo, d.CI.Hi, d.Verdict)
		} else if cmp {
			fmt.Printf(" %+.3f (the page's summary says whether it is beyond the noise) |", rw.res[1].tau-rw.res[0].tau)
		}
		fmt.Printf(" %s | %.1f |\n", strings.Join(parts, ", "), rw.wall)
		walls = append(walls, rw.wall)
	}
	fmt.Printf("| mean ± sd |")
	for i := range o.runs {
		m, sd := stat.MeanSD(taus[i])
		fmt.Printf(" %.3f ± %.3f |", m, sd)
	}
	if cmp {
		var d []float64
		for j := range taus[0] {
			d = append(d, taus[1][j]-taus[0][j])
		}
		m, sd := stat.MeanSD(d)
		fmt.Printf(" %+.3f ± %.3f |", m, sd)
	}
	m, sd := stat.MeanSD(walls)
	fmt.Printf(" | %.1f ± %.1f |\n\n%d of %d runs below τ 0.1\n", m, sd, below, len(rows)*len(o.runs))
}
