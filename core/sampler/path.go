// Package sampler draws what each training step trains on: the path
// (architecture) through the supernet and the training examples, uniformly
// or by importance as PA&DA does (shared/docs/PADA.md §4).
//
// Every sampler draws from a *rand.Rand it is given, so a run seeded once
// is reproducible end to end.
package sampler

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"pada/core/run"
	"pada/core/space"
)

// Path chooses the architectures a training step trains.
type Path interface {
	// Sample returns the paths of one step (one, or NumOps for FairNAS),
	// reusing dst's storage.
	Sample(r *rand.Rand, dst []space.Arch) []space.Arch
	// Observe sees a finished step's clipped gradients, through norm,
	// which returns the summed gradient norm (||grad W|| + ||grad b||)
	// over all cells of op on edge e.
	Observe(paths []space.Arch, norm func(e int, op space.Op) float64)
	// EndEpoch updates the distribution at the end of epoch e (0-based)
	// of epochs.
	EndEpoch(e, epochs int)
	// Probs is the current distribution over ops per edge: one row per
	// edge of the space, one entry per op. The slices are new.
	Probs() [][]float64
	// Prob is the probability of drawing architecture a.
	Prob(a space.Arch) float64
}

// orNB201 is the space a sampler built without one samples: a nil Space
// means NB201, what every sampler meant before spaces were values.
func orNB201(s *space.Space) *space.Space {
	if s == nil {
		return space.NB201Cell
	}
	return s
}

// NewPath returns the path sampler a Config names over space sp: one of
// run.PathSamplers ("uniform", "fairnas", or "pa" in one of
// run.PathModes, "reference" or "per-edge").
func NewPath(sp *space.Space, name, mode string) (Path, error) {
	switch name {
	case "uniform":
		return Uniform{Space: sp}, nil
	case "fairnas":
		return &FairNAS{Space: sp}, nil
	case "pa":
		switch mode {
		case "reference", "":
			return NewPA(sp, false), nil
		case "per-edge":
			return NewPA(sp, true), nil
		}
		return nil, fmt.Errorf("sampler: path mode %q: want %s", mode, run.Alternatives(run.PathModes))
	}
	return nil, fmt.Errorf("sampler: path sampler %q: want %s", name, run.Alternatives(run.PathSamplers))
}

// Uniform is single-path one-shot sampling (SPOS): each edge draws its op
// uniformly, none included.
type Uniform struct {
	Space *space.Space // nil: NB201
}

// Sample implements Path.
func (u Uniform) Sample(r *rand.Rand, dst []space.Arch) []space.Arch {
	sp := orNB201(u.Space)
	var a space.Arch
	k := sp.NumOps()
	for e := range sp.NumEdges() {
		a[e] = space.Op(r.IntN(k))
	}
	return append(dst[:0], a)
}

// Observe implements Path.
func (Uniform) Observe([]space.Arch, func(int, space.Op) float64) {}

// EndEpoch implements Path.
func (Uniform) EndEpoch(int, int) {}

// Probs implements Path.
func (u Uniform) Probs() [][]float64 { return uniformRows(orNB201(u.Space)) }

func uniformRows(sp *space.Space) [][]float64 {
	p := make([][]float64, sp.NumEdges())
	for e := range p {
		p[e] = make([]float64, sp.NumOps())
		for o := range p[e] {
			p[e][o] = 1.0 / float64(sp.NumOps())
		}
	}
	return p
}

// Prob implements Path.
func (u Uniform) Prob(space.Arch) float64 { return 1.0 / float64(orNB201(u.Space).NumArchs()) }

// FairNAS draws, per step, one random permutation of the ops per edge; the
// NumOps paths it gives use every op on every edge exactly once. (The
// reference code re-draws the permutations once per epoch; this draws them
// every step.)
type FairNAS struct {
	Space *space.Space // nil: NB201
}

// Sample implements Path.
func (f *FairNAS) Sample(r *rand.Rand, dst []space.Arch) []space.Arch {
	sp := orNB201(f.Space)
	k := sp.NumOps()
	dst = dst[:0]
	var paths [space.MaxOps]space.Arch
	for e := range sp.NumEdges() {
		var perm [space.MaxOps]space.Op
		for i := range k {
			perm[i] = space.Op(i)
		}
		for i := k - 1; i > 0; i-- {
			j := r.IntN(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		for p := range k {
			paths[p][e] = perm[p]
		}
	}
	return append(dst, paths[:k]...)
}

// Observe implements Path.
func (*FairNAS) Observe([]space.Arch, func(int, space.Op) float64) {}

// EndEpoch implements Path.
func (*FairNAS) EndEpoch(int, int) {}

// Probs implements Path.
func (f *FairNAS) Probs() [][]float64 { return uniformRows(orNB201(f.Space)) }

// Prob implements Path: each path is a uniform draw marginally.
func (f *FairNAS) Prob(space.Arch) float64 { return 1.0 / float64(orNB201(f.Space).NumArchs()) }

// PA is path importance sampling. In reference mode one distribution over
// the ops is shared by every edge and cell; per-edge mode keeps one per
// edge. Each op's score P is the running pairwise mean of its gradient norm
// over the epoch; at the end of epoch e the distribution becomes
// tau*P/sum(P) + (1-tau)*uniform with tau = e/E. Parameter-free ops have no
// gradient and so P = 0: they keep only the uniform share.
type PA struct {
	sp      *space.Space
	perEdge bool
	// One row per edge, one entry per op; in reference mode only row 0
	// is used (all rows are kept so that the state has one layout).
	pi, score [][]float64
}

// NewPA starts from the uniform distribution over space sp (nil: NB201).
func NewPA(sp *space.Space, perEdge bool) *PA {
	sp = orNB201(sp)
	p := &PA{sp: sp, perEdge: perEdge}
	p.pi = uniformRows(sp)
	p.score = make([][]float64, sp.NumEdges())
	for e := range p.score {
		p.score[e] = make([]float64, sp.NumOps())
	}
	return p
}

// PerEdge reports the mode.
func (p *PA) PerEdge() bool { return p.perEdge }

func (p *PA) row(e int) int {
	if p.perEdge {
		return e
	}
	return 0
}

// Sample implements Path.
func (p *PA) Sample(r *rand.Rand, dst []space.Arch) []space.Arch {
	var a space.Arch
	for e := range p.sp.NumEdges() {
		a[e] = draw(r, p.pi[p.row(e)])
	}
	return append(dst[:0], a)
}

func draw(r *rand.Rand, probs []float64) space.Op {
	u := r.Float64()
	for i, q := range probs {
		if u < q {
			return space.Op(i)
		}
		u -= q
	}
	// Rounding left u just above the last bucket: take the last op with
	// non-zero probability.
	for i := len(probs) - 1; i >= 0; i-- {
		if probs[i] > 0 {
			return space.Op(i)
		}
	}
	return 0
}

// Observe implements Path with the reference rule: for each op o with
// parameters, t_o = (1/n_o) * sum over the edges e using o of norm(e, o),
// and P_o <- (P_o + t_o)/2 when t_o != 0. Per-edge mode keeps P per (edge,
// op), where n = 1.
func (p *PA) Observe(paths []space.Arch, norm func(e int, op space.Op) float64) {
	edges := p.sp.NumEdges()
	for _, a := range paths {
		if p.perEdge {
			for e, op := range a[:edges] {
				if !p.sp.HasParams(op) {
					continue
				}
				if t := norm(e, op); t != 0 {
					p.score[e][op] = (p.score[e][op] + t) / 2
				}
			}
			continue
		}
		for o := range p.sp.NumOps() {
			op := space.Op(o)
			if !p.sp.HasParams(op) {
				continue
			}
			var t float64
			n := 0
			for e, x := range a[:edges] {
				if x == op {
					t += norm(e, op)
					n++
				}
			}
			if n > 0 && t != 0 {
				t /= float64(n)
				p.score[0][op] = (p.score[0][op] + t) / 2
			}
		}
	}
}

// EndEpoch implements Path; it also resets the scores for the next epoch.
func (p *PA) EndEpoch(e, epochs int) {
	tau := float64(e) / float64(epochs)
	rows := 1
	if p.perEdge {
		rows = len(p.pi)
	}
	k := float64(p.sp.NumOps())
	for r := 0; r < rows; r++ {
		var sum float64
		for _, s := range p.score[r] {
			sum += s
		}
		for o := range p.pi[r] {
			share := 0.0
			if sum > 0 {
				share = p.score[r][o] / sum
			} else {
				share = 1.0 / k // nothing observed: stay uniform
			}
			p.pi[r][o] = tau*share + (1-tau)/k
		}
		clear(p.score[r])
	}
}

// Probs implements Path.
func (p *PA) Probs() [][]float64 {
	out := make([][]float64, len(p.pi))
	for e := range out {
		out[e] = slices.Clone(p.pi[p.row(e)])
	}
	return out
}

// Prob implements Path.
func (p *PA) Prob(a space.Arch) float64 {
	q := 1.0
	for e, op := range a[:p.sp.NumEdges()] {
		q *= p.pi[p.row(e)][op]
	}
	return q
}

// Scores is the current epoch's running gradient-norm score per edge and
// op (row 0 only in reference mode), for display. The slices are new.
func (p *PA) Scores() [][]float64 {
	out := make([][]float64, len(p.score))
	for e := range out {
		out[e] = slices.Clone(p.score[e])
	}
	return out
}
