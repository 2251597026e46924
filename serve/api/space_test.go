package api

import (
	"encoding/json"
	"strings"
	"testing"

	"pada/core/run"
	"pada/core/space"
	"pada/serve/store"
)

// TestAPISmallSpace: the run API trains and ranks on nb201-small: every
// one of its 60 classes ranked against the table shipped for it
// (eval.truth "default"), with tau, its interval and the free baselines;
// events carry 3 edges; the ranking CSV is in the space's own form. A
// space the server does not know is refused naming the field.
func TestAPISmallSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a run")
	}
	c, _ := run.Preset("mini")
	c.Space = space.NB201SmallCell.Name()
	c.Data.Train, c.Epochs, c.Seed = 640, 1, 4
	c.Eval = run.Eval{Split: "eval", Archs: "unique", Images: 100, Truth: "default"}
	ta := startAPI(t, testOptions(""))
	id := ta.create(c)
	lines := ta.waitFor(id, store.Done)

	var started *run.Started
	var done *run.Done
	steps, epochs := 0, 0
	for i, l := range lines {
		var e run.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		switch {
		case e.Started != nil:
			started = e.Started
		case e.Step != nil:
			steps++
			if len(e.Step.Ops) != 3 {
				t.Fatalf("step event with %d ops, want 3: %s", len(e.Step.Ops), l)
			}
			if _, err := space.NB201SmallCell.Parse(e.Step.Arch); err != nil {
				t.Fatalf("step arch %q: %v", e.Step.Arch, err)
			}
		case e.Epoch != nil:
			epochs++
			if len(e.Epoch.PathProbs) != 3 || len(e.Epoch.PathProbs[0]) != 5 {
				t.Fatalf("epoch path probs %v, want 3 x 5", e.Epoch.PathProbs)
			}
		case e.Done != nil:
			done = e.Done
		}
	}
	if started == nil || started.Config.Space != "nb201-small" || started.Truth == nil || started.Truth.Rows != 60 || started.Archs != 60 {
		t.Fatalf("started: %+v", started)
	}
	if steps == 0 || epochs != 1 {
		t.Errorf("%d step and %d epoch events", steps, epochs)
	}
	if done == nil || done.Archs != 60 || done.TauCI == nil || !done.TauCI.Contains(done.Tau) || len(done.Baselines) != 3 {
		t.Fatalf("done: %+v", done)
	}
	code, body, _ := ta.do("GET", "/api/runs/"+id+"/ranking.csv", nil)
	rows := strings.Split(strings.TrimSpace(string(body)), "\n")
	if code != 200 || len(rows) != 61 {
		t.Fatalf("ranking.csv: %d, %d lines", code, len(rows))
	}
	keys := map[string]bool{}
	for _, r := range rows[1:] {
		a, err := space.NB201SmallCell.Parse(strings.Split(r, ",")[0])
		if err != nil {
			t.Fatalf("ranking row %q: %v", r, err)
		}
		keys[space.NB201SmallCell.Key(a)] = true
	}
	if len(keys) != 60 {
		t.Errorf("ranking covers %d classes, want 60", len(keys))
	}

	c.Space = "darts"
	b, _ := json.Marshal(c)
	if code, body, _ := ta.do("POST", "/api/runs", b); code != 400 || !strings.Contains(string(body), "space") {
		t.Errorf("space darts: %d %s", code, body)
	}
}
