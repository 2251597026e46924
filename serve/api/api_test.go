package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pada/core/run"
	"pada/serve/native"
	"pada/serve/store"
)

// apiConfig is a quick synthetic run: a fraction of a second per epoch on
// one thread, with PA and DA sampling so that their state is exercised.
func apiConfig(epochs int, seed uint64) run.Config {
	c, _ := run.Preset("mini")
	c.Shape.H, c.Shape.W, c.Shape.C, c.Shape.Batch = 8, 8, 4, 16
	c.Data = run.Data{Name: "synthetic", Train: 200, ValFrac: 0.2}
	c.Epochs = epochs
	c.Seed = seed
	c.Sampler.Path, c.Sampler.Data = "pa", "da"
	c.Eval = run.Eval{Split: "eval", Archs: "sample:4", Images: 64}
	c.Events.StepEvery = 2
	return c
}

// testAPI serves an API on a store file over loopback. Its cleanup stops
// the API first so that open streams end, then the server.
type testAPI struct {
	t      *testing.T
	url    string
	a      *Server          // nil for a server in another process
	srv    *httptest.Server // likewise
	client *http.Client
	closed bool
}

func testOptions(storePath string) Options {
	return Options{Enabled: true, Store: storePath, MaxRuns: 1, Queue: 4, Threads: 1, MaxBody: 1 << 20, LoopbackHost: true}
}

func startAPI(t *testing.T, o Options) *testAPI {
	t.Helper()
	if o.Store == "" {
		o.Store = filepath.Join(t.TempDir(), "runs.db")
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "static") })
	ta := &testAPI{t: t, a: a, srv: httptest.NewServer(a.Handler(static)),
		client: &http.Client{Transport: &http.Transport{}}}
	ta.url = ta.srv.URL
	t.Cleanup(ta.Close)
	return ta
}

// remoteAPI talks to a server at url.
func remoteAPI(t *testing.T, url string) *testAPI {
	ta := &testAPI{t: t, url: url, client: &http.Client{Transport: &http.Transport{}}}
	t.Cleanup(ta.Close)
	return ta
}

func (ta *testAPI) Close() {
	if ta.closed {
		return
	}
	ta.closed = true
	if ta.a != nil {
		ta.a.Close()
	}
	ta.client.CloseIdleConnections()
	if ta.srv != nil {
		ta.srv.Close()
	}
}

// do sends a request and returns the status and body.
func (ta *testAPI) do(method, path string, body []byte, hdr ...string) (int, []byte, http.Header) {
	ta.t.Helper()
	req, err := http.NewRequest(method, ta.url+path, bytes.NewReader(body))
	if err != nil {
		ta.t.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := ta.client.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// create posts a Config and returns the run ID.
func (ta *testAPI) create(c run.Config) string {
	ta.t.Helper()
	b, _ := json.Marshal(c)
	code, body, _ := ta.do("POST", "/api/runs", b)
	if code != http.StatusCreated {
		ta.t.Fatalf("create: %d %s", code, body)
	}
	var r struct{ ID string }
	json.Unmarshal(body, &r)
	return r.ID
}

func (ta *testAPI) record(id string) store.Run {
	ta.t.Helper()
	code, body, _ := ta.do("GET", "/api/runs/"+id, nil)
	var r store.Run
	if err := json.Unmarshal(body, &r); code != 200 || err != nil {
		ta.t.Fatalf("GET run %s: %d %s", id, code, body)
	}
	return r
}

// sse is one server-sent event.
type sse struct {
	event, id, data string
}

// readSSE reads a stream to its end.
func readSSE(r io.Reader) ([]sse, error) {
	var out []sse
	var cur sse
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != "" || cur.event != "" {
				out = append(out, cur)
			}
			cur = sse{}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			cur.event = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			cur.id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[len("data: "):]
		default:
			return out, fmt.Errorf("unexpected SSE line %q", line)
		}
	}
	return out, sc.Err()
}

// stream reads the events of run id from index from to the end of the
// stream, checks the ids count up from from, and returns the data lines
// and the final state.
func (ta *testAPI) stream(ctx context.Context, id string, from int) ([]string, string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/runs/%s/events?from=%d", ta.url, id, from), nil)
	res, err := ta.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNoContent {
		// A finished run with nothing from `from` on (e.g. stopped while
		// loading, before its first event): the stream ends in the
		// run's stored state.
		return nil, string(ta.record(id).State), nil
	}
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
		b, _ := io.ReadAll(res.Body)
		return nil, "", fmt.Errorf("events: %d %s %s", res.StatusCode, ct, b)
	}
	evs, err := readSSE(res.Body)
	if err != nil {
		return nil, "", err
	}
	var data []string
	end := ""
	for _, e := range evs {
		switch e.event {
		case "":
			if e.id != strconv.Itoa(from+len(data)) {
				return data, "", fmt.Errorf("event id %q, want %d", e.id, from+len(data))
			}
			data = append(data, e.data)
		case "end":
			var s struct{ State string }
			json.Unmarshal([]byte(e.data), &s)
			end = s.State
		}
	}
	return data, end, nil
}

// waitFor streams run id to its end and fails unless it ends in state.
func (ta *testAPI) waitFor(id string, state store.State) []string {
	ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data, end, err := ta.stream(ctx, id, 0)
	if err != nil {
		ta.t.Fatal(err)
	}
	if end != string(state) {
		ta.t.Fatalf("run %s: stream ended in %q, want %q (%d events)", id, end, state, len(data))
	}
	return data
}

// normalize drops what depends on the clock from event JSON lines.
func normalize(t *testing.T, lines []string) []string {
	t.Helper()
	out := make([]string, len(lines))
	for i, l := range lines {
		var e run.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("event %d %q: %v", i, l, err)
		}
		e.Time = 0
		if e.Epoch != nil {
			e.Epoch.Seconds = 0
			if e.Epoch.GVFixed != nil {
				e.Epoch.GVFixed.Seconds = 0
			}
		}
		if e.Done != nil {
			e.Done.TrainSeconds, e.Done.RankSeconds = 0, 0
		}
		b, _ := json.Marshal(e)
		out[i] = string(b)
	}
	return out
}

// cliEvents runs c through the command line's path.
func cliEvents(t *testing.T, c run.Config) ([]string, *native.Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := native.Run(c, 1, "", &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(buf.String()), "\n"), res
}

func sameEvents(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := normalize(t, got), normalize(t, want)
	if len(g) != len(w) {
		t.Fatalf("%s: %d events, want %d", what, len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("%s: event %d differs:\n got %s\nwant %s", what, i, g[i], w[i])
		}
	}
}
