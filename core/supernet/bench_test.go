package supernet

import (
	"testing"

	"pada/core/nn"
	"pada/core/space"
)

// BenchmarkStep times one forward and backward pass of a mixed path, on
// one thread (go test -bench 'Step/mini' ; nb201 takes about a second per
// step).
func BenchmarkStep(b *testing.B) {
	for _, c := range []struct {
		name string
		s    space.Shape
	}{{"mini", space.Mini}, {"nb201", space.NB201}} {
		b.Run(c.name, func(b *testing.B) {
			m, _ := New(c.s, nn.NewCPU(1))
			m.Init(1)
			x, y := batch(c.s, c.s.Batch, 2)
			a := mustArch(b, testArchs[5])
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.ZeroGrad()
				m.Forward(x, c.s.Batch, a)
				m.Loss(y, nil)
				m.Backward()
			}
			b.ReportMetric(float64(b.N*c.s.Batch)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
