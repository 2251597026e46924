package groundtruth

import (
	"context"

	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// MiniEpochs is the number of epochs of the mini schedule; see
// MiniSchedule for why.
const MiniEpochs = 4

// DataSeed seeds the data split of every stand-alone run (used only when
// a schedule subsamples or holds out training images), so that the
// training seed changes the initialisation and the batch order and
// nothing else: two seeds of one table see the same images.
const DataSeed = 0

// MiniSchedule is the stand-alone training protocol of the table shipped
// for the mini preset: the mini network (space.Mini) trained on one
// fixed path with the supernet's own optimiser (SGD, lr 0.05, momentum
// 0.9, weight decay 2.5e-4, cosine annealing to zero, clipping at 5,
// batch 64, no augmentation) for MiniEpochs epochs on all 8,000 default
// training images, then evaluated on all 10,000 evaluation images.
//
// Two choices differ from the mini preset's supernet run, both to make the
// table less noisy. No validation split is held out (ValFrac 0): a
// stand-alone network needs none, and more data makes seeds agree more.
// And every evaluation image is used (Eval.Images 0), because the
// evaluation set is what limited the table: a pilot with the first
// default data (2,000 evaluation images; 10 and 12 sampled classes, two
// seeds each) measured a seed-to-seed Kendall tau of 0.53 after 1 epoch
// and 0.51 after 4, with two seeds of one network disagreeing on 8.6% of
// the images, which alone makes one seed's accuracy uncertain by about
// 0.46 points, while those classes spread by only about 1 point. On all
// 10,000 test images that share falls to about 0.2 points. Four epochs
// take a network from about 74% (1 epoch) to about 84%, within reach of
// where it stops; the cosine schedule ends at zero, so the last weights
// are not a random point of a noisy walk, and the build stays affordable
// on a 2-core machine (about 50 CPU-seconds per run).
func MiniSchedule() run.Config {
	c, err := run.Preset("mini")
	if err != nil {
		panic(err) // the mini preset always exists
	}
	c.Epochs = MiniEpochs
	c.Data.ValFrac = 0
	c.Data.Train = 0
	c.Eval = run.Eval{Split: "eval", Archs: "unique"}
	c.Seed = DataSeed
	return c
}

// Result is one stand-alone training run.
type Result struct {
	Acc     float64 // top-1 accuracy on the evaluation images, percent
	Seconds float64 // training and evaluation time
}

// Trainer trains fresh networks of single architectures, one at a time,
// on one backend: train.Standalone, the supernet Trainer on a fixed path
// (this package cannot import package train, which reads its tables).
type Trainer interface {
	// Train trains a fresh network of architecture a from seed and
	// measures its accuracy on the evaluation images. The seed draws the
	// initial weights and the batch order, both independent of a, so
	// that every architecture of one seed sees the same batches. It
	// stops between two steps when ctx is done.
	Train(ctx context.Context, a space.Arch, seed uint64) (Result, error)
	// Net is the network trained last.
	Net() *supernet.Net
}

// FLOPs is the number of multiply-accumulates of one forward pass of one
// image through the stand-alone network of a: every convolution (stem,
// the cells' 1x1 and 3x3 convolutions, the residual blocks' two 3x3 and
// one 1x1 shortcut convolution) and the classifier. Pooling, BatchNorm,
// ReLU, additions and biases are not counted. A convolution on an edge
// whose output cannot reach the cell's output still counts, because the
// network computes it, as NAS-Bench-201's counts do.
func FLOPs(s space.Shape, a space.Arch) float64 { return FLOPsIn(space.NB201Cell, s, a) }

// FLOPsIn is FLOPs for an architecture of space sp.
func FLOPsIn(sp *space.Space, s space.Shape, a space.Arch) float64 {
	conv := func(cin, cout, k, h, w int) float64 { return float64(cin * cout * k * k * h * w) }
	f := conv(s.InC, s.C, 3, s.H, s.W)
	c, h, w := s.C, s.H, s.W
	for stage := 0; stage < 3; stage++ {
		if stage > 0 {
			oh, ow := h/2, w/2
			f += conv(c, 2*c, 3, oh, ow) + conv(2*c, 2*c, 3, oh, ow) + conv(c, 2*c, 1, oh, ow)
			c, h, w = 2*c, oh, ow
		}
		var cell float64
		for _, op := range a[:sp.NumEdges()] {
			if o := sp.Op(op); o.Kind == space.ConvOp {
				cell += conv(c, c, o.Kernel, h, w)
			}
		}
		f += float64(s.N) * cell
	}
	return f + float64(c*s.Classes)
}
