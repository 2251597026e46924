package sampler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"pada/core/run"
)

// Data chooses the order in which training examples are visited.
type Data interface {
	// Epoch returns the example indices of the next epoch, reusing dst.
	Epoch(r *rand.Rand, dst []int) []int
	// Observe records the score of example i from a training forward pass.
	Observe(i int, score float64)
	// EndEpoch updates the distribution at the end of epoch e (0-based).
	EndEpoch(e, epochs int)
	// Prob is the probability of drawing example i in one draw.
	Prob(i int) float64
	// Draw returns one index drawn from Prob, independently of the
	// epoch's order and without changing the sampler's state (the
	// fixed-weight gradient-variance probe draws its batches this way).
	Draw(r *rand.Rand) int
	// Len is the number of training examples.
	Len() int
}

// NewData returns the data sampler a Config names for n examples:
// "uniform" (shuffled epochs) or "da" (importance by per-sample score).
func NewData(name string, n int) (Data, error) {
	if n < 1 {
		return nil, fmt.Errorf("sampler: no training examples")
	}
	switch name {
	case "uniform":
		return &Shuffle{n: n}, nil
	case "da":
		return NewDA(n), nil
	}
	return nil, fmt.Errorf("sampler: data sampler %q: want %s", name, run.Alternatives(run.DataSamplers))
}

// Shuffle visits every example once per epoch in a fresh random order.
type Shuffle struct{ n int }

// Epoch implements Data.
func (s *Shuffle) Epoch(r *rand.Rand, dst []int) []int {
	dst = dst[:0]
	for i := 0; i < s.n; i++ {
		dst = append(dst, i)
	}
	r.Shuffle(len(dst), func(i, j int) { dst[i], dst[j] = dst[j], dst[i] })
	return dst
}

// Observe implements Data.
func (s *Shuffle) Observe(int, float64) {}

// EndEpoch implements Data.
func (s *Shuffle) EndEpoch(int, int) {}

// Prob implements Data.
func (s *Shuffle) Prob(int) float64 { return 1 / float64(s.n) }

// Len implements Data.
func (s *Shuffle) Len() int { return s.n }

// Draw implements Data.
func (s *Shuffle) Draw(r *rand.Rand) int { return r.IntN(s.n) }

// DA is data importance sampling, reference mode. The score of example i
// is r_i = ||softmax(logits_i) - onehot(y_i)||, seen during training; its
// epoch score s_i is the running pairwise mean of the scores seen that
// epoch (0 if not drawn). At the end of epoch e, q_i = tau*s_i/sum(s) +
// (1-tau)/N with tau = e/E, and the next epoch draws N indices i.i.d. with
// replacement from q. The first epoch is a plain shuffle.
type DA struct {
	score []float64
	q     []float64
	cum   []float64 // cumulative q, for drawing
	first bool
	drawn []int32 // times each example was drawn in the current epoch
}

// NewDA starts with a uniform first epoch.
func NewDA(n int) *DA {
	d := &DA{score: make([]float64, n), q: make([]float64, n), cum: make([]float64, n), first: true, drawn: make([]int32, n)}
	for i := range d.q {
		d.q[i] = 1 / float64(n)
	}
	return d
}

// Epoch implements Data.
func (d *DA) Epoch(r *rand.Rand, dst []int) []int {
	n := len(d.q)
	dst = dst[:0]
	clear(d.drawn)
	if d.first {
		d.first = false
		dst = (&Shuffle{n: n}).Epoch(r, dst)
	} else {
		for i := 0; i < n; i++ {
			dst = append(dst, d.Draw(r))
		}
	}
	for _, i := range dst {
		d.drawn[i]++
	}
	return dst
}

// Observe implements Data.
func (d *DA) Observe(i int, s float64) {
	if d.score[i] != 0 {
		d.score[i] = (d.score[i] + s) / 2
	} else {
		d.score[i] = s
	}
}

// EndEpoch implements Data.
func (d *DA) EndEpoch(e, epochs int) {
	tau := float64(e) / float64(epochs)
	n := float64(len(d.q))
	var sum float64
	for _, s := range d.score {
		sum += s
	}
	var c float64
	for i, s := range d.score {
		share := 1 / n
		if sum > 0 {
			share = s / sum
		}
		d.q[i] = tau*share + (1-tau)/n
		c += d.q[i]
		d.cum[i] = c
	}
	clear(d.score)
}

// Prob implements Data.
func (d *DA) Prob(i int) float64 { return d.q[i] }

// Len implements Data.
func (d *DA) Len() int { return len(d.q) }

// Draw implements Data. Before the first EndEpoch, q is uniform.
func (d *DA) Draw(r *rand.Rand) int {
	n := len(d.q)
	if d.cum[n-1] == 0 {
		return r.IntN(n)
	}
	u := r.Float64() * d.cum[n-1]
	j := sort.SearchFloat64s(d.cum, u)
	// SearchFloat64s finds the first cum >= u; skip zero-width buckets
	// that rounding could land on.
	for j < n-1 && (d.cum[j] <= u || d.q[j] == 0) {
		j++
	}
	return j
}

// Probs is the current distribution over the examples (not a copy).
func (d *DA) Probs() []float64 { return d.q }

// Drawn is how many times each example was drawn in the current epoch
// (not a copy).
func (d *DA) Drawn() []int32 { return d.drawn }

// Summary is run.DataSummary, the display form of a distribution over
// examples (an Epoch's Data).
type Summary = run.DataSummary

// Summarize bins N*q_i logarithmically into bins between its min and max
// (at least [0.5, 2]) and lists the k most and least likely examples.
func Summarize(q []float64, bins, k int) Summary {
	n := float64(len(q))
	s := Summary{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, v := range q {
		s.Min = min(s.Min, v*n)
		s.Max = max(s.Max, v*n)
	}
	lo, hi := math.Min(s.Min, 0.5), math.Max(s.Max, 2)
	lo = math.Max(lo, 1e-3)
	s.Edges = make([]float64, bins+1)
	for b := range s.Edges {
		s.Edges[b] = lo * math.Pow(hi/lo, float64(b)/float64(bins))
	}
	s.Counts = make([]int, bins)
	for _, v := range q {
		x := v * n
		b := int(float64(bins) * math.Log(math.Max(x, lo)/lo) / math.Log(hi/lo))
		s.Counts[min(max(b, 0), bins-1)]++
	}
	idx := make([]int, len(q))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return q[idx[a]] > q[idx[b]] })
	k = min(k, len(q))
	s.Top = append([]int(nil), idx[:k]...)
	for i := 0; i < k; i++ {
		s.Bottom = append(s.Bottom, idx[len(idx)-1-i])
	}
	return s
}
