package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"pada/core/checkpoint"
	"pada/serve/store"
)

// A run created over HTTP streams the events the command line writes for
// the same Config, and stores the same ranking and weights.
func TestAPIMatchesCLI(t *testing.T) {
	c := apiConfig(2, 7)
	want, res := cliEvents(t, c)
	ta := startAPI(t, testOptions(""))
	id := ta.create(c)
	got := ta.waitFor(id, store.Done)
	sameEvents(t, "SSE vs CLI", got, want)

	// The same events as JSON lines, and from an offset.
	code, body, hdr := ta.do("GET", "/api/runs/"+id+"/events?format=jsonl", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl: %d %s", code, hdr.Get("Content-Type"))
	}
	if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); strings.Join(lines, "\n") != strings.Join(got, "\n") {
		t.Fatalf("jsonl differs from the stream (%d vs %d lines)", len(lines), len(got))
	}
	code, body, _ = ta.do("GET", "/api/runs/"+id+"/events?format=jsonl&from=3", nil)
	if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); code != 200 || lines[0] != got[3] || len(lines) != len(got)-3 {
		t.Fatalf("jsonl from 3: %d, %d lines", code, len(lines))
	}
	// Reconnecting with Last-Event-ID resumes after it; past the end of a
	// finished run the answer is 204, which stops an EventSource.
	code, body, _ = ta.do("GET", "/api/runs/"+id+"/events", nil, "Last-Event-ID", "4")
	evs, _ := readSSE(bytes.NewReader(body))
	if code != 200 || len(evs) == 0 || evs[0].id != "5" || evs[len(evs)-1].event != "end" {
		t.Fatalf("Last-Event-ID 4: %d %+v", code, evs[:min(1, len(evs))])
	}
	if code, _, _ = ta.do("GET", "/api/runs/"+id+"/events", nil, "Last-Event-ID", "9999"); code != http.StatusNoContent {
		t.Errorf("stream past the end: %d, want 204", code)
	}

	var csvBuf, w bytes.Buffer
	res.Session.WriteCSV(&csvBuf)
	checkpoint.Write(&w, res.Session.Trainer().Net(), nil)
	for _, tc := range []struct {
		path  string
		want  []byte
		ctype string
	}{
		{"/ranking.csv", csvBuf.Bytes(), "text/csv; charset=utf-8"},
		{"/weights.npz", w.Bytes(), "application/octet-stream"},
	} {
		code, body, hdr := ta.do("GET", "/api/runs/"+id+tc.path, nil)
		if code != 200 || !bytes.Equal(body, tc.want) || hdr.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d, %d bytes (%s); want %d bytes like the CLI's", tc.path, code, len(body), hdr.Get("Content-Type"), len(tc.want))
		}
	}

	rec := ta.record(id)
	if rec.State != store.Done || rec.Done == nil || rec.Done.Tau != res.Done.Tau || rec.EpochsDone != 2 || rec.Checkpoint != 0 {
		t.Fatalf("record %+v", rec)
	}
	code, body, _ = ta.do("GET", "/api/runs", nil)
	var list struct{ Runs []runSummary }
	if json.Unmarshal(body, &list); code != 200 || len(list.Runs) != 1 || list.Runs[0].Done == nil || list.Runs[0].Path != "pa" {
		t.Fatalf("list: %d %s", code, body)
	}
}

func TestAPIExportAndMetrics(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	id := ta.create(apiConfig(3, 1))
	got := ta.waitFor(id, store.Done)

	code, body, _ := ta.do("GET", "/api/runs/"+id+"/metrics.csv", nil)
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if code != 200 || err != nil || len(rows) != 4 || rows[0][0] != "epoch" || rows[3][0] != "2" {
		t.Fatalf("metrics.csv: %d %v %q", code, err, body)
	}

	code, body, _ = ta.do("GET", "/api/runs/"+id+"/export", nil)
	var ex struct {
		Version string
		Run     store.Run
		Ranking []rankRow
		Events  []json.RawMessage
	}
	if err := json.Unmarshal(body, &ex); code != 200 || err != nil {
		t.Fatalf("export: %d %v", code, err)
	}
	if ex.Run.ID != id || len(ex.Events) != len(got) || len(ex.Ranking) != 4 || ex.Ranking[0].Arch == "" || ex.Version != apiVersion {
		t.Fatalf("export: run %s, %d events (want %d), %d ranking rows", ex.Run.ID, len(ex.Events), len(got), len(ex.Ranking))
	}
	var compact bytes.Buffer
	json.Compact(&compact, ex.Events[len(ex.Events)-1])
	if compact.String() != got[len(got)-1] {
		t.Errorf("export's last event %s, stream's %s", compact.String(), got[len(got)-1])
	}

	// A finished run can be deleted; a live one cannot.
	live := ta.create(apiConfig(40, 1))
	if code, body, _ := ta.do("DELETE", "/api/runs/"+live, nil); code != http.StatusConflict {
		t.Errorf("delete a live run: %d %s", code, body)
	}
	ta.do("POST", "/api/runs/"+live+"/stop", nil)
	if code, _, _ := ta.do("DELETE", "/api/runs/"+id, nil); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ := ta.do("GET", "/api/runs/"+id, nil); code != http.StatusNotFound {
		t.Errorf("deleted run: %d", code)
	}
}

// Pausing, resuming in place, stopping and resuming from the stop's
// checkpoint (mid-epoch) give the events of an uninterrupted run.
func TestAPIPauseStopResume(t *testing.T) {
	c := apiConfig(12, 3)
	want, _ := cliEvents(t, c)
	ta := startAPI(t, testOptions(""))
	id := ta.create(c)
	post := func(action string, wantCode int) {
		t.Helper()
		code, body, _ := ta.do("POST", "/api/runs/"+id+"/"+action, nil)
		if code != wantCode {
			t.Fatalf("%s: %d %s, want %d", action, code, body, wantCode)
		}
	}
	waitState := func(s store.State) store.Run {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if r := ta.record(id); r.State == s {
				return r
			}
		}
		t.Fatalf("run %s never reached %s", id, s)
		return store.Run{}
	}
	post("pause", 200)
	paused := waitState(store.Paused)
	if paused.Checkpoint != paused.Events || paused.Checkpoint == 0 {
		t.Fatalf("paused with checkpoint after %d of %d events", paused.Checkpoint, paused.Events)
	}
	if code, _, _ := ta.do("GET", "/api/runs/"+id+"/weights.npz", nil); code != 200 {
		t.Errorf("weights of a paused run: %d", code)
	}
	post("pause", 200) // already paused: no change
	post("resume", 200)
	waitState(store.Running)
	// Stop in the middle of an epoch (an epoch is 6 events here).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		_, body, _ := ta.do("GET", "/api/runs/"+id+"/events?format=jsonl", nil)
		if n := bytes.Count(body, []byte("\n")); n >= 15 && n%6 != 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the resumed run makes no progress")
		}
	}
	post("stop", 200)
	stopped := waitState(store.Stopped)
	post("stop", http.StatusConflict)
	post("pause", http.StatusConflict)
	t.Logf("paused after %d events, stopped after %d (%d epochs done)", paused.Checkpoint, stopped.Checkpoint, stopped.EpochsDone)
	if stopped.Done != nil || stopped.Checkpoint != stopped.Events {
		t.Fatalf("stopped: %+v", stopped)
	}
	post("resume", 200)
	got := ta.waitFor(id, store.Done)
	sameEvents(t, "paused, stopped and resumed vs CLI", got, want)
	if r := ta.record(id); r.Resumes != 1 || r.Done == nil {
		t.Errorf("record after resume: %+v", r)
	}
	post("resume", http.StatusConflict)
}

// Every sampler's state survives a stop in the middle of an epoch and a
// resume from the checkpoint: the events are those of the CLI.
func TestAPISamplersResume(t *testing.T) {
	for _, tc := range []struct{ path, mode, data string }{
		{"uniform", "reference", "uniform"},
		{"fairnas", "reference", "da"},
		{"pa", "per-edge", "uniform"},
	} {
		t.Run(tc.path+"-"+tc.mode+"-"+tc.data, func(t *testing.T) {
			c := apiConfig(6, 11)
			c.Sampler.Path, c.Sampler.PathMode, c.Sampler.Data = tc.path, tc.mode, tc.data
			want, _ := cliEvents(t, c)
			ta := startAPI(t, testOptions(""))
			id := ta.create(c)
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
				_, body, _ := ta.do("GET", "/api/runs/"+id+"/events?format=jsonl", nil)
				if bytes.Count(body, []byte("\n")) >= 9 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no progress")
				}
			}
			if code, body, _ := ta.do("POST", "/api/runs/"+id+"/stop", nil); code == 200 {
				ta.waitFor(id, store.Stopped)
				r := ta.record(id)
				t.Logf("stopped after %d events", r.Checkpoint)
				if code, body, _ := ta.do("POST", "/api/runs/"+id+"/resume", nil); code != 200 {
					t.Fatalf("resume: %d %s", code, body)
				}
			} else if code != http.StatusConflict {
				t.Fatalf("stop: %d %s", code, body)
			}
			sameEvents(t, "stopped and resumed vs CLI", ta.waitFor(id, store.Done), want)
		})
	}
}
