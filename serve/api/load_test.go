package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"pada/serve/store"
)

// settle waits until at most n goroutines run, and dumps them if they do
// not get there.
func settle(t *testing.T, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			t.Fatalf("%s: %d goroutines, want at most %d", what, runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Twenty streams at once, five runs refused beyond the queue, some
// clients that hang up early: everything finishes or is refused cleanly
// and no goroutine is left behind.
func TestAPILoad(t *testing.T) {
	baseline := runtime.NumGoroutine()
	o := testOptions("")
	o.Queue = 2
	ta := startAPI(t, o)
	ta.do("GET", "/api/health", nil)
	ta.client.CloseIdleConnections()
	time.Sleep(20 * time.Millisecond)
	serving := runtime.NumGoroutine()

	// One run holds the only slot (paused), two wait in the queue.
	ids := []string{ta.create(apiConfig(3, 1))}
	if code, body, _ := ta.do("POST", "/api/runs/"+ids[0]+"/pause", nil); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	ids = append(ids, ta.create(apiConfig(2, 2)), ta.create(apiConfig(2, 3)))
	if code, body, _ := ta.do("POST", "/api/runs/"+ids[1]+"/pause", nil); code != http.StatusConflict {
		t.Errorf("pause a queued run: %d %s", code, body)
	}
	cfg, _ := json.Marshal(apiConfig(1, 9))
	for i := range 5 {
		code, body, hdr := ta.do("POST", "/api/runs", cfg)
		var e apiError
		json.Unmarshal(body, &e)
		if code != http.StatusServiceUnavailable || !strings.HasPrefix(e.Msg, "busy") || hdr.Get("Retry-After") == "" {
			t.Fatalf("run %d beyond the queue: %d %s (Retry-After %q)", i, code, body, hdr.Get("Retry-After"))
		}
	}

	type outcome struct {
		run  int
		data []string
		end  string
		err  error
	}
	const clients = 20
	results := make(chan outcome, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if i%5 == 4 {
				// Hangs up while the runs are still paused or queued.
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}
			data, end, err := ta.stream(ctx, ids[i%3], 0)
			results <- outcome{i % 3, data, end, err}
		}()
	}
	time.Sleep(100 * time.Millisecond) // the early ones have hung up
	if code, body, _ := ta.do("POST", "/api/runs/"+ids[0]+"/resume", nil); code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	wg.Wait()
	close(results)
	full := map[int][]string{}
	hungUp := 0
	for r := range results {
		if r.err != nil {
			if !strings.Contains(r.err.Error(), "context deadline exceeded") {
				t.Errorf("run %d: %v", r.run, r.err)
			}
			hungUp++
			continue
		}
		if r.end != "done" || len(r.data) == 0 || !strings.HasPrefix(r.data[len(r.data)-1], `{"type":"done"`) {
			t.Errorf("run %d: ended %q after %d events", r.run, r.end, len(r.data))
			continue
		}
		if prev, ok := full[r.run]; ok && strings.Join(prev, "\n") != strings.Join(r.data, "\n") {
			t.Errorf("run %d: two clients saw different streams", r.run)
		}
		full[r.run] = r.data
	}
	if hungUp != clients/5 || len(full) != 3 {
		t.Errorf("%d clients hung up (want %d), %d runs streamed to the end (want 3)", hungUp, clients/5, len(full))
	}
	for _, id := range ids {
		if r := ta.record(id); r.State != store.Done {
			t.Errorf("run %s: %s", id, r.State)
		}
	}
	// With every stream over and the runs done, the server is back to
	// what it ran before them; closed, to what the test had before.
	ta.client.CloseIdleConnections()
	settle(t, serving, "after the runs, server still up")
	ta.Close()
	settle(t, baseline, "after closing the server")
}

// A stream of a run that finishes is told so; a stream opened on a
// paused run stays open across the pause and sees the state change.
func TestAPIStreamStates(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	id := ta.create(apiConfig(3, 4))
	ta.do("POST", "/api/runs/"+id+"/pause", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ta.url+"/api/runs/"+id+"/events", nil)
	res, err := ta.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	go func() {
		time.Sleep(100 * time.Millisecond)
		ta.do("POST", "/api/runs/"+id+"/resume", nil)
	}()
	evs, err := readSSE(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, e := range evs {
		if e.event != "" {
			states = append(states, fmt.Sprintf("%s:%s", e.event, e.data))
		}
	}
	got := strings.Join(states, " ")
	if !strings.Contains(got, `state:{"state":"paused"}`) || !strings.Contains(got, `state:{"state":"running"}`) || !strings.HasSuffix(got, `end:{"state":"done"}`) {
		t.Errorf("named events %s", got)
	}
}
