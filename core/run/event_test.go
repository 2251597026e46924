package run_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"pada/core/run"
)

// TestEventShapesVary: Step.Ops and Epoch.PathProbs are as long as the
// run's space has edges (and ops): a 3-edge event round-trips whole, and
// a version 1 event (always 6 edges x 5 ops) still reads.
func TestEventShapesVary(t *testing.T) {
	small := run.Event{Type: run.TypeEpoch, Epoch: &run.Epoch{Epoch: 1, Epochs: 2,
		PathProbs: [][]float64{{0.1, 0.2, 0.3, 0.3, 0.1}, {0.2, 0.2, 0.2, 0.2, 0.2}, {1, 0, 0, 0, 0}}}}
	step := run.Event{Type: run.TypeStep, Step: &run.Step{Step: 3, Ops: []int{3, 1, 4}, Arch: "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|"}}
	for _, e := range []run.Event{small, step} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var got run.Event
		if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("%s round trip: %+v (%v), want %+v", b, got, err, e)
		}
	}
	const v1 = `{"type":"step","t":0.5,"step":{"epoch":0,"step":2,"loss":2.1,"acc":12.5,"lr":0.05,"arch":"x","ops":[0,1,2,3,4,3]}}`
	var e run.Event
	if err := json.Unmarshal([]byte(v1), &e); err != nil || !reflect.DeepEqual(e.Step.Ops, []int{0, 1, 2, 3, 4, 3}) {
		t.Errorf("a v1 step reads as %+v (%v)", e.Step, err)
	}
	const v1e = `{"type":"epoch","t":1,"epoch":{"epoch":0,"epochs":1,"path_probs":[[0.2,0.2,0.2,0.2,0.2],[0.2,0.2,0.2,0.2,0.2],[0.2,0.2,0.2,0.2,0.2],[0.2,0.2,0.2,0.2,0.2],[0.2,0.2,0.2,0.2,0.2],[0,0,0.5,0.5,0]]}}`
	e = run.Event{}
	if err := json.Unmarshal([]byte(v1e), &e); err != nil || len(e.Epoch.PathProbs) != 6 || !reflect.DeepEqual(e.Epoch.PathProbs[5], []float64{0, 0, 0.5, 0.5, 0}) {
		t.Errorf("a v1 epoch reads as %+v (%v)", e.Epoch, err)
	}
}
