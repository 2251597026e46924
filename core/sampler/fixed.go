package sampler

import (
	"math/rand/v2"

	"pada/core/space"
)

// Fixed always trains one architecture. A supernet trained through Fixed
// is exactly the stand-alone network of that architecture: weights off the
// path never receive a gradient, so they take no part in clipping, weight
// decay or momentum, and the path's weights start from the same seeded
// initialisation a fresh network would. Ground-truth tables are built this
// way, with the supernet's own training loop.
type Fixed struct {
	Arch  space.Arch
	Space *space.Space // nil: NB201
}

// Sample implements Path; it draws nothing from r, so a run's data order
// does not depend on the architecture.
func (f Fixed) Sample(_ *rand.Rand, dst []space.Arch) []space.Arch {
	return append(dst[:0], f.Arch)
}

// Observe implements Path.
func (Fixed) Observe([]space.Arch, func(int, space.Op) float64) {}

// EndEpoch implements Path.
func (Fixed) EndEpoch(int, int) {}

// Probs implements Path: each edge puts all its mass on the fixed op.
func (f Fixed) Probs() [][]float64 {
	sp := orNB201(f.Space)
	p := make([][]float64, sp.NumEdges())
	for e := range p {
		p[e] = make([]float64, sp.NumOps())
		if int(f.Arch[e]) < len(p[e]) {
			p[e][f.Arch[e]] = 1
		}
	}
	return p
}

// Prob implements Path.
func (f Fixed) Prob(a space.Arch) float64 {
	if a == f.Arch {
		return 1
	}
	return 0
}
