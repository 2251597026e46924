package api

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pada/serve/store"
)

// childEnv names the store of the API server that TestAPIChild runs when
// TestAPICrashRestart starts this test binary as a subprocess.
const childEnv = "PADA_API_CHILD_STORE"

// TestAPIChild is the server that TestAPICrashRestart kills; on its own it
// skips.
func TestAPIChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("runs only as TestAPICrashRestart's subprocess")
	}
	a, err := New(testOptions(path))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR http://%s\n", ln.Addr())
	http.Serve(ln, a.Handler(http.NotFoundHandler())) // until killed
}

// Kill the server (SIGKILL) in the middle of a run with another queued,
// restart it on the same store: the finished run is intact, the other two
// are interrupted, and resumed (one by request, one by
// -resume-interrupted) they finish with the events of an uninterrupted
// run.
func TestAPICrashRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAPIChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	sc := bufio.NewScanner(out)
	var url string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			url = u
			break
		}
	}
	if url == "" {
		t.Fatal("the child server did not start")
	}
	child := remoteAPI(t, url)

	c := apiConfig(8, 5)
	finished := child.create(c)
	want := child.waitFor(finished, store.Done)
	cut, queued := child.create(c), child.create(c)

	// Read the run until its second epoch, then kill the server.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/runs/"+cut+"/events", nil)
	res, err := child.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewScanner(res.Body)
	rd.Buffer(nil, 1<<20)
	epochs := 0
	for epochs < 2 && rd.Scan() {
		if strings.HasPrefix(rd.Text(), `data: {"type":"epoch"`) {
			epochs++
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	res.Body.Close()
	child.Close()

	o := testOptions(path)
	ta := startAPI(t, o)
	if r := ta.record(finished); r.State != store.Done || r.Events != len(want) {
		t.Fatalf("finished run after the crash: %s with %d events, want done with %d", r.State, r.Events, len(want))
	}
	if code, body, _ := ta.do("GET", "/api/runs/"+finished+"/ranking.csv", nil); code != 200 || !strings.HasPrefix(string(body), "arch,") {
		t.Fatalf("ranking of the finished run: %d %q", code, body)
	}
	sameEvents(t, "finished run after the crash", ta.waitFor(finished, store.Done), want)
	r := ta.record(cut)
	t.Logf("killed after %d epoch events; stored %d events, checkpoint after %d (%d epochs)", epochs, r.Events, r.Checkpoint, r.CheckpointEpochs)
	if r.State != store.Interrupted || r.Events < r.Checkpoint || r.Events >= len(want) {
		t.Fatalf("cut run: %+v", r)
	}
	if q := ta.record(queued); q.State != store.Interrupted || q.Events != 0 {
		t.Fatalf("queued run: %s with %d events", q.State, q.Events)
	}
	// A stream of an interrupted run replays what is stored and ends.
	if _, end, err := ta.stream(context.Background(), cut, 0); err != nil || end != "interrupted" {
		t.Fatalf("stream of the interrupted run: %q %v", end, err)
	}
	if code, body, _ := ta.do("POST", "/api/runs/"+cut+"/resume", nil); code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	sameEvents(t, "resumed after the crash", ta.waitFor(cut, store.Done), want)
	ta.Close()

	// Restarting with -resume-interrupted picks up the queued one.
	o.ResumeInterrupted = true
	ta = startAPI(t, o)
	sameEvents(t, "queued run resumed at start", ta.waitFor(queued, store.Done), want)
	if r := ta.record(cut); r.State != store.Done || r.Resumes != 1 {
		t.Errorf("cut run after a second restart: %s, %d resumes", r.State, r.Resumes)
	}
}
