// Command quality summarises what finished `serve train -out DIR` runs
// say about their samplers, as the README's tables show it:
//
//	go run ./bench/quality DIR...
//
// Each DIR holds config.json, events.jsonl and ranking.csv. Per run: the
// Kendall tau with its bootstrap interval, the free baselines (ranking the
// same architectures by parameters, FLOPs, convolutions), tau within
// groups of equal convolution and parameter count (train.Assess, so runs
// written before the done event carried these are scored the same way).
// Per sampler: means and standard deviations over the runs. Runs of two
// samplers with the same seed ranked the same architectures, so their
// taus are compared with a paired bootstrap (stat.Compare): each sampler
// against uniform/uniform when there is one, else the first against the
// second. Then the
// gradient variance at fixed weights per epoch (run.GVFixed), as means
// over the runs of each sampler, beside the drift across the epoch.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"pada/core/nn"
	"pada/core/rank/stat"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
	"pada/core/train"
)

type runDir struct {
	dir     string
	cfg     run.Config
	sampler string
	archs   []space.Arch
	keys    []string
	pred    []float64
	truth   []float64
	tau     float64
	as      run.Assessment
	epochs  []run.Epoch
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: quality DIR...")
		os.Exit(2)
	}
	var runs []*runDir
	for _, d := range os.Args[1:] {
		r, err := load(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		runs = append(runs, r)
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if runs[i].sampler != runs[j].sampler {
			return runs[i].sampler < runs[j].sampler
		}
		return runs[i].cfg.Seed < runs[j].cfg.Seed
	})
	perRun(runs)
	summary(runs)
	paired(runs)
	variance(runs)
}

func load(dir string) (*runDir, error) {
	r := &runDir{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &r.cfg); err != nil {
		return nil, fmt.Errorf("%s/config.json: %w", dir, err)
	}
	r.sampler = r.cfg.Sampler.Path + "/" + r.cfg.Sampler.Data
	if r.cfg.Sampler.Unbiased {
		r.sampler += " unbiased"
	}
	sp, err := r.cfg.SearchSpace()
	if err != nil {
		return nil, fmt.Errorf("%s/config.json: %w", dir, err)
	}
	f, err := os.Open(filepath.Join(dir, "ranking.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s/ranking.csv: %w", dir, err)
	}
	for i, row := range rows[1:] {
		a, err := sp.Parse(row[0])
		if err != nil {
			return nil, fmt.Errorf("%s/ranking.csv row %d: %w", dir, i+2, err)
		}
		p, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			return nil, fmt.Errorf("%s/ranking.csv row %d: %w", dir, i+2, err)
		}
		t := -1.0
		if row[2] != "" {
			if t, err = strconv.ParseFloat(row[2], 64); err != nil {
				return nil, fmt.Errorf("%s/ranking.csv row %d: %w", dir, i+2, err)
			}
		}
		r.archs, r.keys = append(r.archs, a), append(r.keys, row[0])
		r.pred, r.truth = append(r.pred, p), append(r.truth, t)
	}
	ev, err := os.Open(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	sc := bufio.NewScanner(ev)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e run.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s/events.jsonl: %w", dir, err)
		}
		if e.Epoch != nil {
			r.epochs = append(r.epochs, *e.Epoch)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	be := nn.NewCPU(1)
	defer be.Close()
	net, err := supernet.NewSpace(sp, r.cfg.Shape, be)
	if err != nil {
		return nil, err
	}
	var p, t []float64
	for i := range r.pred {
		if r.truth[i] >= 0 {
			p, t = append(p, r.pred[i]), append(t, r.truth[i])
		}
	}
	r.tau = stat.KendallTau(p, t)
	r.as = train.Assess(r.pred, r.truth, train.ProxiesOf(net, r.archs), r.cfg.Seed)
	return r, nil
}

func iv(i *stat.Interval) string {
	if i == nil {
		return "-"
	}
	return fmt.Sprintf("[%.2f, %.2f]", i.Lo, i.Hi)
}

func baseline(a run.Assessment, name string) *run.Baseline {
	for i := range a.Baselines {
		if a.Baselines[i].Name == name {
			return &a.Baselines[i]
		}
	}
	return nil
}

func perRun(runs []*runDir) {
	fmt.Println("### Per run")
	fmt.Println()
	fmt.Println("| sampler | seed | archs | tau [95%] | within equal convs [95%] | within equal params [95%] | by params | by FLOPs | by convs | supernet - convs [95%] |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		wc, wp := "-", "-"
		if w := r.as.WithinConvs; w != nil {
			wc = fmt.Sprintf("%.3f %s", w.Tau, iv(&w.CI))
		}
		if w := r.as.WithinParams; w != nil {
			wp = fmt.Sprintf("%.3f %s (%d groups)", w.Tau, iv(&w.CI), w.Groups)
		}
		bs := make([]string, 3)
		for i, n := range []string{"params", "flops", "convs"} {
			bs[i] = "-"
			if b := baseline(r.as, n); b != nil {
				bs[i] = fmt.Sprintf("%.3f", b.Tau)
			}
		}
		d := "-"
		if b := baseline(r.as, "convs"); b != nil {
			d = fmt.Sprintf("%+.3f %s %s", b.VsSupernet.Delta, iv(&b.VsSupernet.CI), b.VsSupernet.Verdict)
		}
		fmt.Printf("| %s | %d | %d | %.3f %s | %s | %s | %s | %s | %s | %s |\n",
			r.sampler, r.cfg.Seed, len(r.archs), r.tau, iv(r.as.TauCI), wc, wp, bs[0], bs[1], bs[2], d)
	}
	fmt.Println()
}

func meanSD(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	m, sd := stat.MeanSD(v)
	return fmt.Sprintf("%.3f ± %.3f", m, sd)
}

func samplers(runs []*runDir) []string {
	var out []string
	for _, r := range runs {
		if len(out) == 0 || out[len(out)-1] != r.sampler {
			out = append(out, r.sampler)
		}
	}
	return out
}

func summary(runs []*runDir) {
	fmt.Println("### Per sampler (mean ± sd over runs)")
	fmt.Println()
	fmt.Println("| sampler | runs | tau | within equal convs | within equal params | by params | by FLOPs | by convs | runs beating convs |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, s := range samplers(runs) {
		var tau, wc, wp, bp, bf, bc []float64
		beat, n := 0, 0
		for _, r := range runs {
			if r.sampler != s {
				continue
			}
			n++
			tau = append(tau, r.tau)
			if w := r.as.WithinConvs; w != nil {
				wc = append(wc, w.Tau)
			}
			if w := r.as.WithinParams; w != nil {
				wp = append(wp, w.Tau)
			}
			for name, dst := range map[string]*[]float64{"params": &bp, "flops": &bf, "convs": &bc} {
				if b := baseline(r.as, name); b != nil {
					*dst = append(*dst, b.Tau)
					if name == "convs" && b.VsSupernet.Verdict == stat.Higher {
						beat++
					}
				}
			}
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s | %d of %d |\n", s, n, meanSD(tau), meanSD(wc), meanSD(wp), meanSD(bp), meanSD(bf), meanSD(bc), beat, n)
	}
	fmt.Println()
}

func paired(runs []*runDir) {
	ss := samplers(runs)
	if len(ss) < 2 {
		return
	}
	// The reference is uniform/uniform when it ran, else the second
	// sampler (so that two samplers read "first minus second").
	ref, others := ss[1], ss[:1]
	if i := slices.Index(ss, "uniform/uniform"); i >= 0 {
		ref, others = ss[i], slices.Delete(slices.Clone(ss), i, i+1)
	}
	for _, s := range others {
		fmt.Printf("### %s minus %s, same seed (same architectures): paired bootstrap\n\n", s, ref)
		fmt.Println("| seed | delta tau [95%] | verdict |")
		fmt.Println("|---|---|---|")
		var n, higher, above, below int
		var deltas []float64
		for _, a := range runs {
			if a.sampler != s {
				continue
			}
			for _, b := range runs {
				if b.sampler != ref || b.cfg.Seed != a.cfg.Seed {
					continue
				}
				d := stat.Compare(stat.Ranking{Archs: a.keys, Pred: a.pred, Truth: a.truth},
					stat.Ranking{Archs: b.keys, Pred: b.pred, Truth: b.truth}, stat.Bootstrap{Seed: a.cfg.Seed})
				fmt.Printf("| %d | %+.3f %s | %s |\n", a.cfg.Seed, d.Delta, iv(&d.CI), d.Verdict)
				n++
				deltas = append(deltas, d.Delta)
				if d.Delta > 0 {
					higher++
				}
				switch {
				case d.CI.Lo > 0:
					above++
				case d.CI.Hi < 0:
					below++
				}
			}
		}
		if n > 0 {
			m, sd := stat.MeanSD(deltas)
			fmt.Printf("\n%s minus %s: %+.3f ± %.3f over %d seeds; higher on %d of %d, beyond the paired noise above on %d and below on %d.\n", s, ref, m, sd, n, higher, n, above, below)
		}
		fmt.Println()
	}
}

func variance(runs []*runDir) {
	fmt.Println("### Gradient variance at fixed weights, per parameter (means over runs; x1e-6)")
	fmt.Println()
	fmt.Println("| sampler | epoch | weighted estimator | unweighted estimator | uniform sampling, same weights | weighted / uniform | unweighted / uniform | drift across the epoch | probe share of the epoch |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, s := range samplers(runs) {
		E := 0
		for _, r := range runs {
			if r.sampler == s {
				E = max(E, len(r.epochs))
			}
		}
		var tw, tu, tun, tdr, tsh float64
		var tn int
		var rw, ru []float64 // per run and epoch: weighted and unweighted over uniform
		for e := range E {
			var w, u, un, dr, sh float64
			n := 0
			for _, r := range runs {
				if r.sampler != s || e >= len(r.epochs) || r.epochs[e].GVFixed == nil {
					continue
				}
				g := r.epochs[e].GVFixed
				w, u, un, dr = w+g.Weighted, u+g.Unweighted, un+g.Uniform, dr+r.epochs[e].DriftPerParam
				sh += g.Seconds / r.epochs[e].Seconds
				n++
				if e > 0 && g.Uniform > 0 { // epoch 0 ends with uniform distributions
					rw, ru = append(rw, g.Weighted/g.Uniform), append(ru, g.Unweighted/g.Uniform)
				}
			}
			if n == 0 {
				continue
			}
			k := 1e6 / float64(n)
			fmt.Printf("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f%% |\n", s, e, w*k, u*k, un*k, w/un, u/un, dr*k, 100*sh/float64(n))
			tw, tu, tun, tdr, tsh, tn = tw+w, tu+u, tun+un, tdr+dr, tsh+sh, tn+n
		}
		if tn > 0 {
			k := 1e6 / float64(tn)
			fmt.Printf("| %s | all | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f%% |\n", s, tw*k, tu*k, tun*k, tw/tun, tu/tun, tdr*k, 100*tsh/float64(tn))
			fmt.Printf("| %s | epochs 1+, median of the per-epoch ratios (share below 1) | | | | %.2f (%.0f%%) | %.2f (%.0f%%) | | |\n", s, median(rw), below1(rw), median(ru), below1(ru))
		}
	}
	fmt.Println()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

func below1(v []float64) float64 {
	n := 0
	for _, x := range v {
		if x < 1 {
			n++
		}
	}
	return 100 * float64(n) / float64(max(len(v), 1))
}
