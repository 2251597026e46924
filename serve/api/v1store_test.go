package api

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"pada/core/run"
	"pada/serve/store"
)

// TestV1Store opens a run store written by the version-1 server (before
// Config v2; testdata/v1-runs.db.gz, made by `serve web` at commit
// 7d149a4 with the two configs beside it: the first run finished, the
// second killed with SIGKILL after 7 of 12 epochs, then compacted with
// bbolt.Compact). Today's server lists both, reads their configs as
// version 2 in space nb201, serves the finished run's events equal to
// what today's command line computes for the same config, and resumes
// the interrupted run from its version-1 checkpoint to the events of an
// uninterrupted run.
func TestV1Store(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small runs")
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	gunzipTo(t, "testdata/v1-runs.db.gz", db)
	ta := startAPI(t, testOptions(db))

	want := map[string]run.Config{"000001": v1Config(t, "testdata/v1-runs-done.json"), "000002": v1Config(t, "testdata/v1-runs-interrupted.json")}
	states := map[string]store.State{"000001": store.Done, "000002": store.Interrupted}
	for id, c := range want {
		r := ta.record(id)
		if r.State != states[id] {
			t.Fatalf("run %s: state %s, want %s", id, r.State, states[id])
		}
		if r.Config.Version != run.Version || r.Config.Space != "nb201" {
			t.Errorf("run %s: config version %d space %q, want %d nb201", id, r.Config.Version, r.Config.Space, run.Version)
		}
		if g, w := mustJSON(t, r.Config), mustJSON(t, c); g != w {
			t.Errorf("run %s: stored config\n%s\nwant (the v1 file, migrated)\n%s", id, g, w)
		}
	}

	fresh, _ := cliEvents(t, want["000001"])
	sameEvents(t, "v1 stored run vs today's CLI", ta.waitFor("000001", store.Done), fresh)

	if r := ta.record("000002"); r.CheckpointEpochs != 7 {
		t.Fatalf("interrupted run: checkpoint after %d epochs, want 7", r.CheckpointEpochs)
	}
	if code, body, _ := ta.do("POST", "/api/runs/000002/resume", nil); code != 200 {
		t.Fatalf("resume the v1 run: %d %s", code, body)
	}
	fresh, _ = cliEvents(t, want["000002"])
	sameEvents(t, "v1 interrupted run resumed vs today's CLI", ta.waitFor("000002", store.Done), fresh)
}

func gunzipTo(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func v1Config(t *testing.T, path string) run.Config {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c run.Config
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
