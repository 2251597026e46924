package run_test

import (
	"runtime"
	"testing"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// TestEstimateMatchesEngine: the estimate's parameter count is the
// supernet's, and the memory the supernet allocates fits the estimate's
// parameter and training-batch shares.
func TestEstimateMatchesEngine(t *testing.T) {
	for _, s := range []space.Shape{space.Mini, space.NB201,
		{InC: 3, H: 12, W: 20, C: 6, N: 2, Classes: 7, Batch: 5}} {
		c, _ := run.Preset("mini")
		c.Shape = s
		r := c.Estimate()
		be := nn.NewCPU(1)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		net, err := supernet.New(s, be)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		be.Close()
		if int64(net.NumParams()) != r.Params {
			t.Errorf("%+v: estimate %d parameters, the supernet has %d", s, r.Params, net.NumParams())
		}
		if got := int64(m1.TotalAlloc - m0.TotalAlloc); got > r.ParamBytes+r.TrainBytes {
			t.Errorf("%+v: the supernet allocated %d bytes, more than the estimate's %d", s, got, r.ParamBytes+r.TrainBytes)
		}
	}
}
