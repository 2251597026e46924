package space

import "fmt"

// Shape is the size of a network of the search space and of its input:
// the macro skeleton around the cells (stem, C channels doubled at each of
// the two reductions, N cells per stage, classifier). It lives here, not
// with the supernet, so that the run protocol and the page can name
// shapes without pulling in the training engine.
type Shape struct {
	InC     int `json:"in_channels"` // input channels (1 for Fashion-MNIST, 3 for CIFAR)
	H       int `json:"height"`      // input height
	W       int `json:"width"`       // input width
	C       int `json:"channels"`    // channels of the first stage (doubled at each reduction)
	N       int `json:"cells"`       // search cells per stage
	Classes int `json:"classes"`
	Batch   int `json:"batch"` // largest batch the network is sized for
}

// Mini is the in-browser default: Fashion-MNIST at 16x16, C=8, N=1.
var Mini = Shape{InC: 1, H: 16, W: 16, C: 8, N: 1, Classes: 10, Batch: 64}

// NB201 is the paper's network on CIFAR-10.
var NB201 = Shape{InC: 3, H: 32, W: 32, C: 16, N: 5, Classes: 10, Batch: 256}

// Validate reports a shape the network cannot be built for, naming the field.
func (s Shape) Validate() error {
	pos := []struct {
		name string
		v    int
	}{{"in_channels", s.InC}, {"height", s.H}, {"width", s.W}, {"channels", s.C}, {"cells", s.N}, {"classes", s.Classes}, {"batch", s.Batch}}
	for _, f := range pos {
		if f.v < 1 {
			return fmt.Errorf("shape: %s = %d, must be at least 1", f.name, f.v)
		}
	}
	if s.Classes < 2 {
		return fmt.Errorf("shape: classes = %d, must be at least 2", s.Classes)
	}
	// Two stride-2 reductions: the conv branch rounds up and the pooled
	// shortcut rounds down, so both sizes must stay even through both.
	for _, d := range []struct {
		name string
		v    int
	}{{"height", s.H}, {"width", s.W}} {
		if d.v%4 != 0 {
			return fmt.Errorf("shape: %s = %d cannot pass the two stride-2 reductions: it must be a multiple of 4", d.name, d.v)
		}
	}
	const maxElems = 1 << 31
	if float64(s.C)*4*float64(s.Batch)*float64(s.H)*float64(s.W)*9 > maxElems {
		return fmt.Errorf("shape: channels %d x batch %d x %dx%d is too large for one buffer", s.C, s.Batch, s.H, s.W)
	}
	return nil
}
