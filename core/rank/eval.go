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
	images data.Images
	count  int
	x      []float32
	y      []int32
	idx    []int
}

// NewEvaluator evaluates on the first count images of images (all if count
// is 0 or larger than the set).
func NewEvaluator(net *supernet.Net, images data.Images, count int) *Evaluator {
	s := net.Shape()
	if count <= 0 || count > images.Len() {
		count = images.Len()
	}
	return &Evaluator{
		net: net, images: images, count: count,
		x:   make([]float32, s.Batch*s.InC*s.H*s.W),
		y:   make([]int32, s.Batch),
		idx: make([]int, 0, s.Batch),
	}
}

// Images is the number of images each architecture is evaluated on.
func (ev *Evaluator) Images() int { return ev.count }

// Accuracy is a's top-1 accuracy in percent.
func (ev *Evaluator) Accuracy(a space.Arch) float64 {
	b := ev.net.Shape().Batch
	hit := 0
	for lo := 0; lo < ev.count; lo += b {
		n := min(b, ev.count-lo)
		ev.idx = ev.idx[:0]
		for i := lo; i < lo+n; i++ {
			ev.idx = append(ev.idx, i)
		}
		ev.images.Batch(ev.x, ev.y, ev.idx, false, nil)
		ev.net.Forward(ev.x, n, a)
		_, c := ev.net.Loss(ev.y, nil)
		hit += c
	}
	return 100 * float64(hit) / float64(ev.count)
}

// The statistics live in package stat, which a front end can link without
// the network; these are its functions under the names callers of rank
// have used.
var (
	KendallTau = stat.KendallTau
	Spearman   = stat.Spearman
	TopOverlap = stat.TopOverlap
)
