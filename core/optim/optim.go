// Package optim updates parameters: SGD with momentum and weight decay as
// PyTorch's torch.optim.SGD computes it, cosine learning-rate annealing,
// and global gradient-norm clipping as torch.nn.utils.clip_grad_norm_.
//
// The functions work on one parameter tensor at a time (flat slices), so
// the caller decides which tensors take part in a step: PyTorch skips a
// parameter whose gradient is None, but keeps updating one whose gradient
// has once been set, even to zeros.
package optim

import (
	"fmt"
	"math"
)

// SGD holds the hyper-parameters of stochastic gradient descent.
type SGD struct {
	Momentum    float32
	WeightDecay float32
}

// Step updates parameters p with gradient g and momentum buffer v in place:
// d = g + wd*p; v = momentum*v + d; p -= lr*v. A zero v is exactly PyTorch's
// first step, which sets the buffer to d.
func (o SGD) Step(p, g, v []float32, lr float32) {
	if len(g) != len(p) || len(v) != len(p) {
		panic(fmt.Sprintf("optim: lengths differ: params %d, grads %d, momentum %d", len(p), len(g), len(v)))
	}
	g, v = g[:len(p)], v[:len(p)]
	for i, w := range p {
		d := g[i] + o.WeightDecay*w
		m := o.Momentum*v[i] + d
		v[i] = m
		p[i] = w - lr*m
	}
}

// Cosine is the learning rate of epoch e (0-based) of E under cosine
// annealing to 0 (torch.optim.lr_scheduler.CosineAnnealingLR stepped once
// per epoch): base * (1 + cos(pi e / E)) / 2.
func Cosine(base float64, e, epochs int) float64 {
	if epochs <= 0 {
		return base
	}
	return base * (1 + math.Cos(math.Pi*float64(e)/float64(epochs))) / 2
}

// SumSquares returns the sum of squares of g, accumulated in float64.
func SumSquares(g []float32) float64 {
	var s float64
	for _, v := range g {
		s += float64(v) * float64(v)
	}
	return s
}

// ClipCoef is the factor clip_grad_norm_ multiplies the gradients by when
// their global norm is total: maxNorm/(total+1e-6) if that is below 1,
// else 1 (no change).
func ClipCoef(total, maxNorm float64) float32 {
	c := maxNorm / (total + 1e-6)
	if c < 1 {
		return float32(c)
	}
	return 1
}

// Scale multiplies g by s in place.
func Scale(g []float32, s float32) {
	for i := range g {
		g[i] *= s
	}
}
