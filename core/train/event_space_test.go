package train

import (
	"testing"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// TestEventsHaveTheSpacesShape: a run of nb201-small reports 3 op
// indices per step (the path trained, as its arch string says) and a
// 3 x 5 path distribution per epoch, each row a distribution.
func TestEventsHaveTheSpacesShape(t *testing.T) {
	sp := space.NB201SmallCell
	c := tinyConfig("pa", "uniform")
	c.Space = sp.Name()
	c.Epochs = 2
	c.Eval = run.Eval{Split: "eval", Archs: "list", List: []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|", "|none~0|+|avg_pool_3x3~0|nor_conv_1x1~1|"}}
	sets, err := BuildSets(c, Synthetic(160, 1, 8, 8, 4, 1), Synthetic(40, 1, 8, 8, 4, 2))
	if err != nil {
		t.Fatal(err)
	}
	archs, truth, err := SelectArchsIn(sp, c.Eval, c.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	be := nn.NewCPU(1)
	defer be.Close()
	net, err := supernet.NewSpace(sp, c.Shape, be)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(c.Seed)
	var steps, epochs int
	s, err := NewSession(c, net, sets, archs, truth, "test", func(e run.Event) {
		switch {
		case e.Step != nil:
			steps++
			a, err := sp.Parse(e.Step.Arch)
			if err != nil || len(e.Step.Ops) != 3 {
				t.Fatalf("step %d: ops %v, arch %q (%v)", e.Step.Step, e.Step.Ops, e.Step.Arch, err)
			}
			for i, o := range e.Step.Ops {
				if o != int(a[i]) {
					t.Fatalf("step %d: ops %v are not the arch %q", e.Step.Step, e.Step.Ops, e.Step.Arch)
				}
			}
		case e.Epoch != nil:
			epochs++
			if len(e.Epoch.PathProbs) != 3 {
				t.Fatalf("epoch %d: %d rows of path probabilities, want 3", e.Epoch.Epoch, len(e.Epoch.PathProbs))
			}
			for k, row := range e.Epoch.PathProbs {
				var sum float64
				for _, p := range row {
					sum += p
				}
				if len(row) != 5 || sum < 0.999 || sum > 1.001 {
					t.Fatalf("epoch %d edge %d: %v", e.Epoch.Epoch, k, row)
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for s.Advance() {
	}
	if steps == 0 || epochs != 2 {
		t.Fatalf("%d step and %d epoch events", steps, epochs)
	}
}
