// Package rank measures how well a supernet ranks architectures: it
// evaluates architectures with inherited weights; package stat compares
// the predictions with ground truth.
package rank

import (
	"pada/core/data"
	"pada/core/rank/stat"
	"pada/core/space"
	"pada/core/supernet"
)

// Evaluator measures architectures' top-1 accuracy with the supernet's
// inherited weights: no fine-tuning, BatchNorm with batch statistics, the
// first Images images of a set in fixed batches, so that every architecture
// sees exactly the same batches.
type Evaluator struct {
	net    *supernet.Net
	space  *space.Space
	images data.Images
	count  int
	// xs and ys hold the batches, read and normalised once for every
	// architecture when they fit in MaxCache bytes; otherwise x and y
	// are refilled per batch.
	xs  [][]float32
	ys  [][]int32
	x   []float32
	y   []int32
	idx []int
}

// MaxCache bounds the evaluation batches an Evaluator keeps between
// architectures: the default race's 1,000 images of 16x16 take 1 MB, the
// whole 10,000 of the evaluation split 10 MB; CIFAR-sized splits are read
// per batch instead.
const MaxCache = 16 << 20

// NewEvaluator evaluates on the first count images of images (all if count
// is 0 or larger than the set).
func NewEvaluator(net *supernet.Net, images data.Images, count int) *Evaluator {
	s := net.Shape()
	if count <= 0 || count > images.Len() {
		count = images.Len()
	}
	ev := &Evaluator{
		net: net, space: net.Space(), images: images, count: count,
		x:   make([]float32, s.Batch*s.InC*s.H*s.W),
		y:   make([]int32, s.Batch),
		idx: make([]int, 0, s.Batch),
	}
	if int64(count)*int64(s.InC*s.H*s.W)*4 <= MaxCache {
		for lo := 0; lo < count; lo += s.Batch {
			n := min(s.Batch, count-lo)
			ev.fill(lo, n)
			ev.xs = append(ev.xs, append([]float32(nil), ev.x[:n*s.InC*s.H*s.W]...))
			ev.ys = append(ev.ys, append([]int32(nil), ev.y[:n]...))
		}
	}
	return ev
}

// fill reads images lo..lo+n into x and y.
func (ev *Evaluator) fill(lo, n int) {
	ev.idx = ev.idx[:0]
	for i := lo; i < lo+n; i++ {
		ev.idx = append(ev.idx, i)
	}
	ev.images.Batch(ev.x, ev.y, ev.idx, false, nil)
}

// Images is the number of images each architecture is evaluated on.
func (ev *Evaluator) Images() int { return ev.count }

// Accuracy is a's top-1 accuracy in percent.
func (ev *Evaluator) Accuracy(a space.Arch) float64 {
	a = Live(ev.space, a)
	b := ev.net.Shape().Batch
	hit := 0
	for k, lo := 0, 0; lo < ev.count; k, lo = k+1, lo+b {
		n := min(b, ev.count-lo)
		x, y := ev.x, ev.y
		if ev.xs != nil {
			x, y = ev.xs[k], ev.ys[k]
		} else {
			ev.fill(lo, n)
		}
		ev.net.Forward(x, n, a)
		_, c := ev.net.Loss(y, nil)
		hit += c
	}
	return 100 * float64(hit) / float64(ev.count)
}

// Live returns a with the ops whose output cannot reach the cell's output
// replaced by the zero op: an edge into a node that no live edge reads.
// The cell's output is the same sum of the same values in the same order,
// so the logits are bit-identical, but the dead convolutions, pools and
// BatchNorms are not computed (about one architecture in four of NB201
// has one).
func Live(sp *space.Space, a space.Arch) space.Arch {
	zero := space.Op(0)
	for o := range sp.NumOps() {
		if sp.Op(space.Op(o)).Kind == space.Zero {
			zero = space.Op(o)
		}
	}
	edges := sp.Edges()
	live := make([]bool, sp.Nodes())
	live[sp.Nodes()-1] = true
	// Edges are grouped by target in increasing order: walking them
	// backwards settles every node's liveness before its inputs'.
	for e := len(edges) - 1; e >= 0; e-- {
		if !live[edges[e].To] {
			a[e] = zero
		} else if a[e] != zero {
			live[edges[e].From] = true
		}
	}
	return a
}

// The statistics live in package stat, which a front end can link without
// the network; these are its functions under the names callers of rank
// have used.
var (
	KendallTau = stat.KendallTau
	Spearman   = stat.Spearman
	TopOverlap = stat.TopOverlap
)
