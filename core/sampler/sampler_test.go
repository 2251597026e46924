package sampler

import (
	"math"
	"math/rand/v2"
	"testing"

	"pada/core/space"
)

// chiSquare is Pearson's statistic of observed counts against expected.
func chiSquare(obs []int, exp []float64) float64 {
	var s float64
	for i := range obs {
		if exp[i] == 0 {
			if obs[i] != 0 {
				return math.Inf(1)
			}
			continue
		}
		d := float64(obs[i]) - exp[i]
		s += d * d / exp[i]
	}
	return s
}

// The critical value of chi-square with 4 degrees of freedom at p = 1e-4
// is 23.5: a correct sampler exceeds it once in 10,000 seeds, a broken one
// (say, never drawing one op) by orders of magnitude.
const chi4 = 23.5

// spaces are the search spaces every path sampler is tested on.
var spaces = []*space.Space{space.NB201Cell, space.NB201SmallCell}

func uniformCounts(n, k int) []float64 {
	exp := make([]float64, k)
	for i := range exp {
		exp[i] = float64(n) / float64(k)
	}
	return exp
}

func TestUniformIsUniform(t *testing.T) {
	for _, sp := range spaces {
		t.Run(sp.Name(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			const draws = 20000
			counts := make([][]int, sp.NumEdges())
			for e := range counts {
				counts[e] = make([]int, sp.NumOps())
			}
			u := Uniform{Space: sp}
			var buf []space.Arch
			for i := 0; i < draws; i++ {
				buf = u.Sample(r, buf)
				if err := sp.Check(buf[0]); err != nil {
					t.Fatal(err)
				}
				for e := range counts {
					counts[e][buf[0][e]]++
				}
			}
			for e := range counts {
				if c := chiSquare(counts[e], uniformCounts(draws, sp.NumOps())); c > chi4 {
					t.Errorf("edge %d: counts %v, chi-square %.1f > %.1f", e, counts[e], c, chi4)
				}
			}
			if p := u.Probs(); len(p) != sp.NumEdges() || len(p[0]) != sp.NumOps() || p[0][0] != 0.2 {
				t.Errorf("Probs = %v", p)
			}
			if got := u.Prob(buf[0]); got != 1/float64(sp.NumArchs()) {
				t.Errorf("Prob = %v, want 1/%d", got, sp.NumArchs())
			}
		})
	}
}

func TestFairNASUsesEveryOpOnce(t *testing.T) {
	for _, sp := range spaces {
		t.Run(sp.Name(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			f := &FairNAS{Space: sp}
			var buf []space.Arch
			first := make([]int, sp.NumOps()) // which op the first path takes on edge 0
			for step := 0; step < 5000; step++ {
				buf = f.Sample(r, buf)
				if len(buf) != sp.NumOps() {
					t.Fatalf("%d paths, want %d", len(buf), sp.NumOps())
				}
				for e := range sp.NumEdges() {
					var seen [space.MaxOps]bool
					for _, a := range buf {
						if seen[a[e]] {
							t.Fatalf("step %d: op %v twice on edge %d", step, a[e], e)
						}
						seen[a[e]] = true
					}
				}
				for _, a := range buf {
					if err := sp.Check(a); err != nil {
						t.Fatal(err)
					}
				}
				first[buf[0][0]]++
			}
			if c := chiSquare(first, uniformCounts(5000, sp.NumOps())); c > chi4 {
				t.Errorf("the first path's op on edge 0 is not uniform: %v", first)
			}
		})
	}
}

// TestPAReferenceSchedule replays the reference schedule: with gradient
// norms only for the two convolutions, a parameter-free op is drawn in epoch
// e >= 1 with probability 0.2 (1 - (e-1)/E).
func TestPAReferenceSchedule(t *testing.T) {
	for _, c := range []struct {
		sp   *space.Space
		path space.Arch // a path that uses both convolutions
	}{
		{space.NB201Cell, space.Arch{space.Conv3x3, space.Conv1x1, space.None, space.Conv3x3, space.Skip, space.AvgPool3x3}},
		{space.NB201SmallCell, space.Arch{space.Conv3x3, space.Conv1x1, space.Skip}},
	} {
		t.Run(c.sp.Name(), func(t *testing.T) { paSchedule(t, c.sp, c.path) })
	}
}

func paSchedule(t *testing.T, sp *space.Space, path space.Arch) {
	const E = 250
	p := NewPA(sp, false)
	norm := func(e int, op space.Op) float64 {
		if op == space.Conv3x3 {
			return 2
		}
		if op == space.Conv1x1 {
			return 1
		}
		return 0
	}
	want := map[int]float64{1: 0.2, 50: 0.1608, 125: 0.1008, 200: 0.0408, 249: 0.0016}
	r := rand.New(rand.NewPCG(5, 6))
	var buf []space.Arch
	for e := 0; e < E; e++ {
		if w, ok := want[e]; ok {
			probs := p.Probs()
			if len(probs) != sp.NumEdges() {
				t.Fatalf("%d rows of probabilities, want %d", len(probs), sp.NumEdges())
			}
			for edge := range probs {
				for op := range sp.NumOps() {
					if sp.HasParams(space.Op(op)) {
						continue
					}
					if math.Abs(probs[edge][op]-w) > 1e-12 {
						t.Fatalf("epoch %d edge %d op %v: probability %v, want %v", e, edge, op, probs[edge][op], w)
					}
				}
			}
			// And the sampler draws with those probabilities, on every edge.
			counts := make([][]int, sp.NumEdges())
			for e := range counts {
				counts[e] = make([]int, sp.NumOps())
			}
			const draws = 20000
			for i := 0; i < draws; i++ {
				buf = p.Sample(r, buf)
				for e := range counts {
					counts[e][buf[0][e]]++
				}
			}
			exp := make([]float64, sp.NumOps())
			for op := range exp {
				exp[op] = draws * probs[0][op]
			}
			for edge := range counts {
				if c := chiSquare(counts[edge], exp); c > chi4 {
					t.Errorf("epoch %d edge %d: counts %v for probabilities %v (chi-square %.1f)", e, edge, counts[edge], probs[0], c)
				}
			}
		}
		// A few steps per epoch through paths that use both convolutions.
		for s := 0; s < 3; s++ {
			p.Observe([]space.Arch{path}, norm)
		}
		p.EndEpoch(e, E)
	}
}

func TestPAScoreRule(t *testing.T) {
	for _, c := range []struct {
		sp         *space.Space
		a          space.Arch
		conv3, one float64 // expected scores of conv3x3 and conv1x1 after two observations
	}{
		// norm(e, op) = e+1. NB201: conv3x3 on edges 0, 1, 5: t = (1 + 2
		// + 6)/3 = 3; P = (0+3)/2 = 1.5, then (1.5+3)/2. conv1x1 on edge
		// 2: t = 3 as well.
		{space.NB201Cell, space.Arch{space.Conv3x3, space.Conv3x3, space.Conv1x1, space.None, space.Skip, space.Conv3x3}, 2.25, 2.25},
		// nb201-small: conv3x3 on edges 0, 1: t = 1.5, P = 0.75 then
		// 1.125; conv1x1 on edge 2: t = 3, P = 2.25.
		{space.NB201SmallCell, space.Arch{space.Conv3x3, space.Conv3x3, space.Conv1x1}, 1.125, 2.25},
	} {
		p := NewPA(c.sp, false)
		norm := func(e int, op space.Op) float64 { return float64(e + 1) }
		p.Observe([]space.Arch{c.a}, norm)
		p.Observe([]space.Arch{c.a}, norm)
		s := p.Scores()
		if s[0][space.Conv3x3] != c.conv3 || s[0][space.Conv1x1] != c.one {
			t.Fatalf("%s: scores %v, want %v for conv3x3 and %v for conv1x1", c.sp, s[0], c.conv3, c.one)
		}
		p.EndEpoch(125, 250) // tau = 1/2
		probs := p.Probs()
		share := c.conv3 / (c.conv3 + c.one)
		if math.Abs(probs[0][space.Conv3x3]-(0.5*share+0.1)) > 1e-12 || math.Abs(probs[0][space.None]-0.1) > 1e-12 {
			t.Fatalf("%s: probs %v", c.sp, probs[0])
		}
		if got, want := p.Prob(c.a), func() float64 {
			q := 1.0
			for e := range c.sp.NumEdges() {
				q *= probs[e][c.a[e]]
			}
			return q
		}(); got != want {
			t.Errorf("%s: Prob = %v, want the product of the edges' %v", c.sp, got, want)
		}
	}
}

func TestPAPerEdge(t *testing.T) {
	for _, c := range []struct {
		sp *space.Space
		a  space.Arch
	}{
		{space.NB201Cell, space.Arch{space.Conv3x3, space.Conv1x1, space.Conv1x1, space.Conv3x3, space.Conv3x3, space.Conv3x3}},
		{space.NB201SmallCell, space.Arch{space.Conv1x1, space.Conv3x3, space.Conv1x1}},
	} {
		p := NewPA(c.sp, true)
		p.Observe([]space.Arch{c.a}, func(e int, op space.Op) float64 { return 1 })
		p.EndEpoch(1, 1) // tau = 1: all mass on the observed op of each edge
		probs := p.Probs()
		if len(probs) != c.sp.NumEdges() {
			t.Fatalf("%s: %d rows", c.sp, len(probs))
		}
		for e := range probs {
			if probs[e][c.a[e]] != 1 {
				t.Fatalf("%s edge %d: probs %v, want all on %v", c.sp, e, probs[e], c.a[e])
			}
		}
		r := rand.New(rand.NewPCG(1, 1))
		if got := p.Sample(r, nil)[0]; got != c.a {
			t.Errorf("%s: drew %v, want %v", c.sp, got, c.a)
		}
	}
}

func TestDA(t *testing.T) {
	const n = 1000
	d := NewDA(n)
	r := rand.New(rand.NewPCG(7, 8))
	order := d.Epoch(r, nil)
	seen := make([]bool, n)
	for _, i := range order {
		seen[i] = true
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("first epoch misses example %d: it must be a permutation", i)
		}
	}
	// Scores: examples below 100 are 9 times harder than the rest.
	for _, i := range order {
		s := 1.0
		if i < 100 {
			s = 9
		}
		d.Observe(i, s)
	}
	d.EndEpoch(1, 2) // tau = 1/2
	sum := 100*9.0 + 900
	wantHard := 0.5*9/sum + 0.5/n
	if math.Abs(d.Prob(0)-wantHard) > 1e-12 {
		t.Fatalf("q_0 = %v, want %v", d.Prob(0), wantHard)
	}
	// The next epoch draws with replacement from q.
	hard := 0
	for trial := 0; trial < 20; trial++ {
		order = d.Epoch(r, order)
		for _, i := range order {
			if i < 100 {
				hard++
			}
		}
	}
	exp := 20 * n * 100 * wantHard
	if c := chiSquare([]int{hard, 20*n - hard}, []float64{exp, 20*n - exp}); c > 15.1 { // 1 dof, p = 1e-4
		t.Errorf("drew %d hard examples, expected %.0f (chi-square %.1f)", hard, exp, c)
	}
}

func TestRunningPairwiseMean(t *testing.T) {
	d := NewDA(3)
	d.Observe(1, 4)
	d.Observe(1, 2) // (4+2)/2
	d.Observe(1, 1) // (3+1)/2
	d.EndEpoch(1, 1)
	if math.Abs(d.Prob(1)-1) > 1e-12 || d.Prob(0) != 0 {
		t.Fatalf("q = %v, want all on example 1", d.Probs())
	}
}

func TestSummarize(t *testing.T) {
	q := []float64{0.1, 0.2, 0.3, 0.4}
	s := Summarize(q, 4, 2)
	if s.Top[0] != 3 || s.Top[1] != 2 || s.Bottom[0] != 0 || s.Bottom[1] != 1 {
		t.Errorf("top %v bottom %v", s.Top, s.Bottom)
	}
	total := 0
	for _, c := range s.Counts {
		total += c
	}
	if total != 4 {
		t.Errorf("histogram counts %v do not add up to 4", s.Counts)
	}
}

// TestDraw: Draw follows Prob for both data samplers and leaves the
// sampler's epoch order and distribution as they were.
func TestDraw(t *testing.T) {
	da := NewDA(4)
	for i, s := range []float64{4, 2, 1, 1} {
		da.Observe(i, s)
	}
	da.EndEpoch(5, 10)
	for _, c := range []struct {
		name string
		d    Data
	}{{"shuffle", &Shuffle{n: 4}}, {"da", da}} {
		before := make([]float64, 4)
		for i := range before {
			before[i] = c.d.Prob(i)
		}
		r := rand.New(rand.NewPCG(1, 1))
		const n = 40000
		var count [4]int
		for range n {
			count[c.d.Draw(r)]++
		}
		for i, k := range count {
			p := before[i]
			se := math.Sqrt(p * (1 - p) / n)
			if got := float64(k) / n; math.Abs(got-p) > 4*se || c.d.Prob(i) != p {
				t.Errorf("%s: example %d drawn %.4f of the time, Prob %.4f (now %.4f)", c.name, i, got, p, c.d.Prob(i))
			}
		}
	}
	if da.Prob(0) < 0.3 {
		t.Fatalf("DA is not skewed: %v", da.Probs())
	}
}
