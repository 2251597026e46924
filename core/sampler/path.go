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

	"pada/core/space"
)

// Path chooses the architectures a training step trains.
type Path interface {
	// Sample returns the paths of one step (one, or five for FairNAS),
	// reusing dst's storage.
	Sample(r *rand.Rand, dst []space.Arch) []space.Arch
	// Observe sees a finished step's clipped gradients, through norm,
	// which returns the summed gradient norm (||grad W|| + ||grad b||)
	// over all cells of op on edge e.
	Observe(paths []space.Arch, norm func(e int, op space.Op) float64)
	// EndEpoch updates the distribution at the end of epoch e (0-based)
	// of epochs.
	EndEpoch(e, epochs int)
	// Probs is the current distribution over ops per edge.
	Probs() [space.NumEdges][space.NumOps]float64
	// Prob is the probability of drawing architecture a.
	Prob(a space.Arch) float64
}

// NewPath returns the path sampler a Config names: "uniform", "fairnas",
// or "pa" in mode "reference" or "per-edge".
func NewPath(name, mode string) (Path, error) {
	switch name {
	case "uniform":
		return Uniform{}, nil
	case "fairnas":
		return &FairNAS{}, nil
	case "pa":
		switch mode {
		case "reference", "":
			return NewPA(false), nil
		case "per-edge":
			return NewPA(true), nil
		}
		return nil, fmt.Errorf("sampler: path mode %q: want reference or per-edge", mode)
	}
	return nil, fmt.Errorf("sampler: path sampler %q: want uniform, fairnas or pa", name)
}

// Uniform is single-path one-shot sampling (SPOS): each edge draws its op
// uniformly, none included.
type Uniform struct{}

// Sample implements Path.
func (Uniform) Sample(r *rand.Rand, dst []space.Arch) []space.Arch {
	var a space.Arch
	for e := range a {
		a[e] = space.Op(r.IntN(space.NumOps))
	}
	return append(dst[:0], a)
}

// Observe implements Path.
func (Uniform) Observe([]space.Arch, func(int, space.Op) float64) {}

// EndEpoch implements Path.
func (Uniform) EndEpoch(int, int) {}

// Probs implements Path.
func (Uniform) Probs() (p [space.NumEdges][space.NumOps]float64) {
	for e := range p {
		for o := range p[e] {
			p[e][o] = 1.0 / space.NumOps
		}
	}
	return p
}

// Prob implements Path.
func (Uniform) Prob(space.Arch) float64 { return 1.0 / space.NumArchs }

// FairNAS draws, per step, one random permutation of the ops per edge; the
// five paths it gives use every op on every edge exactly once. (The
// reference code re-draws the permutations once per epoch; this draws them
// every step.)
type FairNAS struct{}

// Sample implements Path.
func (*FairNAS) Sample(r *rand.Rand, dst []space.Arch) []space.Arch {
	dst = dst[:0]
	var paths [space.NumOps]space.Arch
	for e := range space.NumEdges {
		perm := [space.NumOps]space.Op{0, 1, 2, 3, 4}
		for i := space.NumOps - 1; i > 0; i-- {
			j := r.IntN(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		for k := range paths {
			paths[k][e] = perm[k]
		}
	}
	return append(dst, paths[:]...)
}

// Observe implements Path.
func (*FairNAS) Observe([]space.Arch, func(int, space.Op) float64) {}

// EndEpoch implements Path.
func (*FairNAS) EndEpoch(int, int) {}

// Probs implements Path.
func (*FairNAS) Probs() [space.NumEdges][space.NumOps]float64 { return Uniform{}.Probs() }

// Prob implements Path: each path is a uniform draw marginally.
func (*FairNAS) Prob(space.Arch) float64 { return 1.0 / space.NumArchs }

// PA is path importance sampling. In reference mode one distribution over
// the ops is shared by every edge and cell; per-edge mode keeps one per
// edge. Each op's score P is the running pairwise mean of its gradient norm
// over the epoch; at the end of epoch e the distribution becomes
// tau*P/sum(P) + (1-tau)*uniform with tau = e/E. Parameter-free ops have no
// gradient and so P = 0: they keep only the uniform share.
type PA struct {
	perEdge bool
	pi      [space.NumEdges][space.NumOps]float64 // row 0 only in reference mode
	score   [space.NumEdges][space.NumOps]float64
}

// NewPA starts from the uniform distribution.
func NewPA(perEdge bool) *PA {
	p := &PA{perEdge: perEdge}
	p.pi = Uniform{}.Probs()
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
	for e := range a {
		a[e] = draw(r, p.pi[p.row(e)][:])
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
	for _, a := range paths {
		if p.perEdge {
			for e, op := range a {
				if !op.HasParams() {
					continue
				}
				if t := norm(e, op); t != 0 {
					p.score[e][op] = (p.score[e][op] + t) / 2
				}
			}
			continue
		}
		for _, op := range []space.Op{space.Conv1x1, space.Conv3x3} {
			var t float64
			n := 0
			for e, o := range a {
				if o == op {
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
		rows = space.NumEdges
	}
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
				share = 1.0 / space.NumOps // nothing observed: stay uniform
			}
			p.pi[r][o] = tau*share + (1-tau)/space.NumOps
		}
		clear(p.score[r][:])
	}
}

// Probs implements Path.
func (p *PA) Probs() (out [space.NumEdges][space.NumOps]float64) {
	for e := range out {
		out[e] = p.pi[p.row(e)]
	}
	return out
}

// Prob implements Path.
func (p *PA) Prob(a space.Arch) float64 {
	q := 1.0
	for e, op := range a {
		q *= p.pi[p.row(e)][op]
	}
	return q
}

// Scores is the current epoch's running gradient-norm score per edge and
// op (row 0 only in reference mode), for display.
func (p *PA) Scores() [space.NumEdges][space.NumOps]float64 { return p.score }
