package train

import (
	"math/rand/v2"
	"time"

	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
)

// DefaultProbeDraws is how many (path, batch) draws the fixed-weight
// gradient-variance probe makes at the end of every epoch (see
// Trainer.SetProbeDraws). Each draw from a non-uniform sampler costs one
// forward and two backward passes (unweighted and importance-weighted
// estimator) plus one forward and backward pass of a uniform draw; for
// uniform sampling one pass suffices. With 8 draws that is about 20% of
// a mini epoch (113 steps) for PA&DA and 7% for uniform sampling.
const DefaultProbeDraws = 8

// probeStream separates the probe's random stream from the training
// stream (which the probe never touches); the epoch is added to it, so the
// probe keeps no state between epochs and a resumed run draws the same.
const probeStream = 0x7f4a7c159e3779b9

// probe measures the gradient variance at fixed weights (PADA.md §5):
// with the weights at an epoch's end frozen, it draws M (path, batch)
// pairs from the run's own samplers (the distributions the next epoch
// uses), computes each estimator, and compares it with the uniform-average
// gradient ḡ, estimated from M independent uniform draws at the same
// weights.
//
// A batch is Shape.Batch indices drawn independently from the data
// sampler's distribution (Data.Draw; with replacement, where training
// visits a uniform epoch without). A step with several paths (FairNAS) is
// one estimator: the mean of its paths' gradients.
//
// The figures, for an estimator x with draws x_1..x_M, uniform draws
// u_1..u_M and ū their mean:
//
//	GV(x) = (1/M) Σ ||x_m - ū||² - S²_u/M,  S²_u = Σ ||u_m - ū||² / (M-1)
//
// The subtracted term removes the noise of ū itself, so GV(x) estimates
// E||x - ḡ||² without bias: the variance of x plus its squared bias (the
// unweighted estimator of a non-uniform sampler is biased). S²_u is the
// variance of uniform sampling at the same weights. For uniform sampling
// the M draws are themselves uniform draws, and all three figures are S²_u
// of those draws. Estimates of a small GV can come out below 0.
type probe struct {
	x     []float32
	y     []int32
	w     []float32
	idx   []int
	paths []space.Arch
	saved []bool // the net's touched flags, restored after the probe

	sumU, sumX, sumW []float64 // sums of the uniform, unweighted and weighted draws
}

// SetProbeDraws sets the number of draws of the fixed-weight
// gradient-variance probe per epoch (0 turns it off; 1 is taken as 2, the
// fewest that give a variance). The probe does not change training: it
// draws from its own seeded stream, leaves the weights, the samplers and
// the tensors' touched flags as they were, and only adds the GVFixed field
// to the epoch events.
func (t *Trainer) SetProbeDraws(m int) {
	if m == 1 {
		m = 2
	}
	t.probeDraws = max(m, 0)
}

// gvFixed runs the probe at the current weights for the samplers' current
// distributions; nil when it is off, or for a fixed path (a ground-truth
// run).
func (t *Trainer) gvFixed() *run.GVFixed {
	M := t.probeDraws
	if M < 2 {
		return nil
	}
	if _, ok := t.path.(sampler.Fixed); ok {
		return nil
	}
	start := time.Now()
	m := t.net
	P := len(m.Params)
	s := m.Shape()
	B := min(s.Batch, t.train.Len())
	p := t.probe
	if p == nil {
		p = &probe{
			x: make([]float32, len(t.x)), y: make([]int32, len(t.y)), w: make([]float32, len(t.w)),
			idx: make([]int, B), saved: make([]bool, len(m.Tensors)),
			sumU: make([]float64, P), sumX: make([]float64, P), sumW: make([]float64, P),
		}
		t.probe = p
	}
	for i := range p.saved {
		p.saved[i] = m.Touched(i)
	}
	clear(p.sumU)
	clear(p.sumX)
	clear(p.sumW)
	r := rand.New(rand.NewPCG(t.cfg.Seed, probeStream+uint64(t.epoch)))
	_, upath := t.path.(sampler.Uniform)
	_, udata := t.data.(*sampler.Shuffle)
	uniform := upath && udata
	N := t.data.Len()
	var sqU, sqX, sqW float64
	for range M {
		p.paths = t.path.Sample(r, p.paths)
		for i := range p.idx {
			p.idx[i] = t.data.Draw(r)
		}
		t.train.Batch(p.x, p.y, p.idx, t.cfg.Data.Augment, r)
		if uniform {
			sqU += p.accumulate(t, nil, p.sumU, nil)
			continue
		}
		// The importance weights of the theory's unbiased estimator,
		// 1/(N q_i) per sample and 1/(|A| p_alpha) per path, uncapped.
		sqX += p.accumulate(t, func(a space.Arch) []float32 {
			pw := 1 / (float64(t.sp.NumArchs()) * t.path.Prob(a))
			w := p.w[:B]
			for i, id := range p.idx {
				w[i] = float32(pw / (float64(N) * t.data.Prob(id)))
			}
			return w
		}, p.sumX, &sqW)

		var a space.Arch
		for e := range t.sp.NumEdges() {
			a[e] = space.Op(r.IntN(t.sp.NumOps()))
		}
		p.paths = append(p.paths[:0], a)
		for i := range p.idx {
			p.idx[i] = r.IntN(N)
		}
		t.train.Batch(p.x, p.y, p.idx, t.cfg.Data.Augment, r)
		sqU += p.accumulate(t, nil, p.sumU, nil)
	}
	m.ZeroGrad()
	if err := m.SetTouched(p.saved); err != nil {
		panic(err) // same net, same tensor count
	}

	fm := float64(M)
	var uu float64
	for _, v := range p.sumU {
		uu += (v / fm) * (v / fm)
	}
	s2u := (sqU - fm*uu) / (fm - 1)
	g := &run.GVFixed{Draws: M, Uniform: s2u / float64(P)}
	if uniform {
		g.Weighted, g.Unweighted = g.Uniform, g.Uniform
	} else {
		gv := func(sum []float64, sq float64) float64 {
			var dot float64
			for i, v := range sum {
				dot += (v / fm) * (p.sumU[i] / fm)
			}
			return (sq/fm - 2*dot + uu - s2u/fm) / float64(P)
		}
		g.Unweighted = gv(p.sumX, sqX)
		g.Weighted = gv(p.sumW, sqW)
	}
	g.Seconds = time.Since(start).Seconds()
	return g
}

// accumulate computes the estimator of p.paths on the probe's batch, the
// mean of the paths' gradients, adds it to sum and returns its squared
// norm. With weights (a function of the path giving the per-sample loss
// weights) it also computes the weighted estimator on the same forward
// passes, adds it to wsum and its squared norm to *wsq.
func (p *probe) accumulate(t *Trainer, weights func(space.Arch) []float32, sum []float64, wsq *float64) float64 {
	m := t.net
	n := len(p.idx)
	k := 1 / float64(len(p.paths))
	m.ZeroGrad()
	for _, a := range p.paths {
		m.Forward(p.x, n, a)
		m.Loss(p.y, nil)
		m.Backward()
	}
	sq := addScaled(sum, m.Grads, k)
	if weights == nil {
		return sq
	}
	m.ZeroGrad()
	for _, a := range p.paths {
		if len(p.paths) > 1 {
			m.Forward(p.x, n, a)
		}
		// One path: Backward leaves the forward pass intact, so the
		// weighted loss reuses it.
		m.Loss(p.y, weights(a))
		m.Backward()
	}
	*wsq += addScaled(p.sumW, m.Grads, k)
	return sq
}

// addScaled adds k*g to sum and returns ||k*g||².
func addScaled(sum []float64, g []float32, k float64) float64 {
	var sq float64
	for i, v := range g {
		x := k * float64(v)
		sum[i] += x
		sq += x * x
	}
	return sq
}
