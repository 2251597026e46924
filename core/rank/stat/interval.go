package stat

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Bootstrap sets how intervals are computed: a seeded percentile
// bootstrap over the ranked architectures. Each resample draws len(pred)
// architectures with replacement (a duplicate is a pair tied in both
// prediction and truth, which tau-b handles) and recomputes the
// statistic; the interval is the central Level share of the resampled
// values. Resamples where the statistic is undefined (a constant side)
// are left out.
//
// Percentile, not BCa: on bivariate-normal data with a known tau its
// 95% interval covers the true tau in about 95% of samples of 100
// architectures (TestTauIntervalCoverage), and it needs no jackknife.
type Bootstrap struct {
	Resamples int     // 0: DefaultResamples
	Level     float64 // 0: 0.95
	Seed      uint64
}

// DefaultResamples is the number of resamples of an interval.
const DefaultResamples = 1000

func (b Bootstrap) resamples(n int) int {
	r := b.Resamples
	if r <= 0 {
		r = DefaultResamples
		// Bound the work on big rankings (all 15,625 NB201 cells):
		// about 2*10^7 pair operations per statistic.
		if n > 2000 {
			r = 200
		}
	}
	return r
}

func (b Bootstrap) level() float64 {
	if b.Level <= 0 || b.Level >= 1 {
		return 0.95
	}
	return b.Level
}

// Interval is a confidence interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Contains reports whether x lies in the interval.
func (iv Interval) Contains(x float64) bool { return iv.Lo <= x && x <= iv.Hi }

// resample returns the statistic over b's resamples of n items (stat
// reads the items idx), sorted, NaNs dropped.
func (b Bootstrap) resample(n int, stat func(idx []int) float64) []float64 {
	r := rand.New(rand.NewPCG(b.Seed, 0xb0075742a9))
	idx := make([]int, n)
	out := make([]float64, 0, b.resamples(n))
	for range b.resamples(n) {
		for i := range idx {
			idx[i] = r.IntN(n)
		}
		if v := stat(idx); !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// percentile returns the central level share of sorted values (NaN, NaN
// when there are none).
func percentile(sorted []float64, level float64) Interval {
	n := len(sorted)
	if n == 0 {
		return Interval{math.NaN(), math.NaN()}
	}
	a := (1 - level) / 2
	at := func(q float64) float64 {
		// Linear interpolation between order statistics (numpy's default).
		h := q * float64(n-1)
		lo := int(math.Floor(h))
		hi := min(lo+1, n-1)
		return sorted[lo] + (h-float64(lo))*(sorted[hi]-sorted[lo])
	}
	return Interval{at(a), at(1 - a)}
}

// gather copies v at idx into dst.
func gather(dst, v []float64, idx []int) []float64 {
	dst = dst[:0]
	for _, i := range idx {
		dst = append(dst, v[i])
	}
	return dst
}

// TauInterval is the bootstrap interval of KendallTau(pred, truth).
func TauInterval(pred, truth []float64, b Bootstrap) Interval {
	checkLen("TauInterval", pred, truth)
	var p, t []float64
	return percentile(b.resample(len(pred), func(idx []int) float64 {
		p, t = gather(p, pred, idx), gather(t, truth, idx)
		return KendallTau(p, t)
	}), b.level())
}

// Diff is the difference of two Kendall taus, A - B, with its bootstrap
// interval.
type Diff struct {
	Delta float64  `json:"delta"`
	CI    Interval `json:"ci"`
	// Verdict is "higher" when the whole interval is above 0 (A ranks
	// better than B beyond the noise), "lower" when it is below, and
	// "within noise" otherwise.
	Verdict string `json:"verdict"`
}

// Verdicts of a Diff.
const (
	Higher      = "higher"
	Lower       = "lower"
	WithinNoise = "within noise"
)

func newDiff(delta float64, ci Interval) Diff {
	d := Diff{Delta: delta, CI: ci, Verdict: WithinNoise}
	switch {
	case ci.Lo > 0:
		d.Verdict = Higher
	case ci.Hi < 0:
		d.Verdict = Lower
	}
	return d
}

// PairedTauDiff compares two predictions of the same architectures
// against the same truth: KendallTau(predA, truth) - KendallTau(predB,
// truth), bootstrapped over the architectures with both taus computed on
// each resample, so that what the two share (which architectures were
// drawn) cancels.
func PairedTauDiff(predA, predB, truth []float64, b Bootstrap) Diff {
	checkLen("PairedTauDiff", predA, truth)
	checkLen("PairedTauDiff", predB, truth)
	var pa, pb, t []float64
	ci := percentile(b.resample(len(truth), func(idx []int) float64 {
		pa, pb, t = gather(pa, predA, idx), gather(pb, predB, idx), gather(t, truth, idx)
		return KendallTau(pa, t) - KendallTau(pb, t)
	}), b.level())
	return newDiff(KendallTau(predA, truth)-KendallTau(predB, truth), ci)
}

// TauDiff compares two rankings of different architecture sets (e.g. two
// seeds that drew different architectures): each is resampled on its
// own, and the interval is that of the difference of the resampled taus.
func TauDiff(predA, truthA, predB, truthB []float64, b Bootstrap) Diff {
	checkLen("TauDiff", predA, truthA)
	checkLen("TauDiff", predB, truthB)
	ra := rand.New(rand.NewPCG(b.Seed, 0xa11ce))
	rb := rand.New(rand.NewPCG(b.Seed, 0xb0b))
	ia := make([]int, len(predA))
	ib := make([]int, len(predB))
	var pa, ta, pb, tb []float64
	var diffs []float64
	for range b.resamples(max(len(predA), len(predB))) {
		for i := range ia {
			ia[i] = ra.IntN(len(ia))
		}
		for i := range ib {
			ib[i] = rb.IntN(len(ib))
		}
		pa, ta = gather(pa, predA, ia), gather(ta, truthA, ia)
		pb, tb = gather(pb, predB, ib), gather(tb, truthB, ib)
		if d := KendallTau(pa, ta) - KendallTau(pb, tb); !math.IsNaN(d) {
			diffs = append(diffs, d)
		}
	}
	slices.Sort(diffs)
	return newDiff(KendallTau(predA, truthA)-KendallTau(predB, truthB), percentile(diffs, b.level()))
}

// Ranking is one run's ranking: the architectures it evaluated (any
// strings that identify them), their predicted and true accuracies.
type Ranking struct {
	Archs []string
	Pred  []float64
	Truth []float64
}

// Compare says whether ranking a's tau differs from b's beyond the
// noise: a paired bootstrap when both ranked the same architectures in
// the same order against the same truth, an unpaired one otherwise.
func Compare(a, b Ranking, boot Bootstrap) Diff {
	if slices.Equal(a.Archs, b.Archs) && slices.Equal(a.Truth, b.Truth) {
		return PairedTauDiff(a.Pred, b.Pred, a.Truth, boot)
	}
	return TauDiff(a.Pred, a.Truth, b.Pred, b.Truth, boot)
}

// Within is Kendall tau-b within groups of architectures that share a
// key (e.g. the number of convolutions), combined over the groups with at
// least MinGroup members as a mean weighted by each group's number of
// pairs, n(n-1)/2: the part of a ranking that the key cannot explain.
// Groups whose tau is undefined (a constant prediction or truth) are
// left out.
type Within struct {
	Tau    float64 `json:"tau"`
	Groups int     `json:"groups"` // groups that count
	Archs  int     `json:"archs"`  // architectures in them
	Pairs  int64   `json:"pairs"`  // pairs within them: the weights' sum
}

// MinGroup is the smallest group that WithinTau counts: below 5
// architectures a group's tau takes only a few values (a group of 2 is
// +1 or -1).
const MinGroup = 5

// WithinTau computes Within over groups keyed by key (NaN Tau when no
// group counts).
func WithinTau(pred, truth []float64, key []int) Within {
	checkLen("WithinTau", pred, truth)
	if len(key) != len(pred) {
		panic("stat: WithinTau keys and predictions differ in length")
	}
	all := make([]int, len(pred))
	for i := range all {
		all[i] = i
	}
	return within(pred, truth, key, all)
}

func within(pred, truth []float64, key []int, idx []int) Within {
	groups := make(map[int][]int)
	for _, i := range idx {
		groups[key[i]] = append(groups[key[i]], i)
	}
	keys := make([]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a fixed order: the same sum to the last bit
	w := Within{Tau: math.NaN()}
	var sum float64
	var p, t []float64
	for _, k := range keys {
		g := groups[k]
		if len(g) < MinGroup {
			continue
		}
		p, t = gather(p, pred, g), gather(t, truth, g)
		tau := KendallTau(p, t)
		if math.IsNaN(tau) {
			continue
		}
		pairs := int64(len(g)) * int64(len(g)-1) / 2
		sum += float64(pairs) * tau
		w.Pairs += pairs
		w.Groups++
		w.Archs += len(g)
	}
	if w.Pairs > 0 {
		w.Tau = sum / float64(w.Pairs)
	}
	return w
}

// WithinInterval is the bootstrap interval of WithinTau: architectures
// are resampled over the whole ranking and regrouped.
func WithinInterval(pred, truth []float64, key []int, b Bootstrap) Interval {
	checkLen("WithinInterval", pred, truth)
	return percentile(b.resample(len(pred), func(idx []int) float64 {
		return within(pred, truth, key, idx).Tau
	}), b.level())
}

func checkLen(name string, a, b []float64) {
	if len(a) != len(b) {
		panic("stat: " + name + " of vectors of different lengths")
	}
}
