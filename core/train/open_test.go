package train

import (
	"errors"
	"testing"

	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/run"
)

// TestOpenIsNewSession: a run assembled by Open gives the events of one
// assembled by hand (runEvents) to the bit.
func TestOpenIsNewSession(t *testing.T) {
	c := tinyConfig("pa", "da")
	want := numbers(t, runEvents(t, c, 1))
	be := nn.NewCPU(1)
	defer be.Close()
	p, err := Prepare(c, Inputs{Train: Synthetic(160, 1, 8, 8, 4, c.Seed), Eval: Synthetic(40, 1, 8, 8, 4, c.Seed+1),
		Backend: be, BackendName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Truth.Acc {
		p.Truth.Acc[i] = float64(80 - 10*i)
	}
	var events []run.Event
	s, err := p.Start(func(e run.Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	s.Trainer().SetProbeDraws(testProbeDraws)
	for s.Advance() {
	}
	if got := numbers(t, events); got != want {
		t.Errorf("Open's events differ from NewSession's:\n%s\nwant\n%s", got, want)
	}
}

// TestPrepareNamesFields: each step's error names its Config field and
// keeps its cause's text.
func TestPrepareNamesFields(t *testing.T) {
	tr, ev := Synthetic(40, 1, 8, 8, 4, 1), Synthetic(10, 1, 8, 8, 4, 2)
	bad := errors.New("no table here")
	for _, tc := range []struct {
		field string
		edit  func(*run.Config, *Inputs)
	}{
		{"shape", func(c *run.Config, _ *Inputs) { c.Shape.H = 16 }},
		{"eval.truth", func(_ *run.Config, in *Inputs) {
			in.Truth = func() (*groundtruth.Table, error) { return nil, bad }
		}},
		{"space", func(c *run.Config, _ *Inputs) { c.Space = "nope" }},
		{"eval.archs", func(c *run.Config, _ *Inputs) { c.Eval.Archs = "truth" }},
	} {
		c := tinyConfig("uniform", "uniform")
		in := Inputs{Train: tr, Eval: ev, Backend: nn.NewCPU(1)}
		tc.edit(&c, &in)
		_, err := Prepare(c, in)
		if got := run.FieldOf(err); got != tc.field {
			t.Errorf("%s: field %q (%v)", tc.field, got, err)
		}
		var at *run.AtField
		if !errors.As(err, &at) || err.Error() != at.Err.Error() {
			t.Errorf("%s: %v is not an AtField with its cause's text", tc.field, err)
		}
		in.Backend.(*nn.CPU).Close()
	}
}
