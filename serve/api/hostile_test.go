package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pada/core/data"
	"pada/core/run"
	"pada/serve/store"
)

// vmRSS is this process's resident memory in bytes (0 where unknown).
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// hostile is a Config body that must be refused with field named.
type hostile struct {
	name, body, field string
}

// hostileConfigs: the cases (100,000 cells, 10^9 classes, huge
// channels and synthetic data, files), overflow and negative values,
// huge strings.
func hostileConfigs() []hostile {
	mini := func(patch string) string { return `{"preset":"mini",` + patch + `}` }
	return []hostile{
		{"100k cells", mini(`"shape":{"cells":100000}`), "shape.cells"},
		{"1e9 classes", mini(`"shape":{"classes":1000000000}`), "shape.classes"},
		{"1e6 in_channels", mini(`"shape":{"in_channels":1000000}`), "shape.in_channels"},
		{"huge synthetic train", mini(`"data":{"name":"synthetic","train":2000000000,"val_frac":0.1}`), "data.train"},
		{"synthetic over the budget", mini(`"data":{"name":"synthetic","train":10000000,"val_frac":0.1},"shape":{"in_channels":3,"height":64,"width":64}`), "data.train"},
		{"channels x cells over the budget", mini(`"shape":{"channels":1024,"cells":32}`), "shape.channels"},
		{"int64 max channels", mini(`"shape":{"channels":9223372036854775807}`), "shape.channels"},
		{"int64 min height", mini(`"shape":{"height":-9223372036854775808}`), "shape.height"},
		{"overflowing int", mini(`"shape":{"batch":99999999999999999999}`), "shape.batch"},
		{"negative batch", mini(`"shape":{"batch":-1}`), "shape.batch"},
		{"negative train", mini(`"data":{"name":"fashion16","train":-1}`), "data.train"},
		{"negative eval images", mini(`"eval":{"split":"eval","archs":"sample:3","images":-10}`), "eval.images"},
		{"huge eval images", mini(`"eval":{"split":"eval","archs":"sample:3","images":1000000000000}`), "eval.images"},
		{"huge sample", mini(`"eval":{"split":"eval","archs":"sample:99999999999999999999"}`), "eval.archs"},
		{"endless epochs", mini(`"epochs":1000000000`), "epochs"},
		{"events flood", mini(`"epochs":100000,"events":{"step_every":1}`), "events.step_every"},
		{"NaN-like lr", mini(`"lr":1e400`), "lr"},
		{"huge preset name", `{"preset":"` + strings.Repeat("m", 5000) + `"}`, "preset"},
		{"huge truth path", mini(`"eval":{"split":"eval","archs":"truth","truth":"` + strings.Repeat("a", 5000) + `"}`), "eval.truth"},
		{"truth file", mini(`"eval":{"split":"eval","archs":"truth","truth":"/etc/passwd"}`), "eval.truth"},
		{"data dir", mini(`"data":{"name":"cifar10","dir":"/etc","val_frac":0.1}`), "data.dir"},
		{"mnist without files", mini(`"data":{"name":"mnist","val_frac":0.1}`), "data.dir"},
		{"dir for fashion16", mini(`"data":{"name":"fashion16","dir":"/tmp","val_frac":0.1}`), "data.dir"},
		{"dev zero", mini(`"eval":{"split":"eval","archs":"truth","truth":"/dev/zero"}`), "eval.truth"},
	}
}

// TestAPIHostileConfigs posts each hostile Config to a real server on
// loopback: all are 4xx naming the field, none is stored, and afterwards
// the server answers, its memory has not grown by more than a bounded
// amount and its goroutines are back to where they were.
func TestAPIHostileConfigs(t *testing.T) {
	baseline := runtime.NumGoroutine()
	rss0 := vmRSS()
	o := testOptions("")
	o.MaxMem = 1 << 30
	ta := startAPI(t, o)
	for _, h := range hostileConfigs() {
		code, body, _ := ta.do("POST", "/api/runs", []byte(h.body))
		var e apiError
		json.Unmarshal(body, &e)
		if code < 400 || code >= 500 || e.Field != h.field {
			t.Errorf("%s: %d %.300s; want 4xx naming %s", h.name, code, body, h.field)
		}
		if strings.Contains(string(body), "root:") {
			t.Errorf("%s: the answer quotes a file: %s", h.name, body)
		}
	}
	// A text/plain body of a valid Config (a form or a simple fetch from
	// another page) is refused before it is read.
	cfg, _ := json.Marshal(apiConfig(1, 1))
	if code, body, _ := ta.do("POST", "/api/runs", cfg, "Content-Type", "text/plain"); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain config: %d %s, want 415", code, body)
	}
	if code, _, _ := ta.do("POST", "/api/runs", cfg, "Content-Type", "application/x-www-form-urlencoded"); code != http.StatusUnsupportedMediaType {
		t.Errorf("form config: %d, want 415", code)
	}
	if code, body, _ := ta.do("GET", "/api/health", nil); code != 200 || !bytes.Contains(body, []byte(`"max_mem":1073741824`)) {
		t.Errorf("health after the hostile configs: %d %s", code, body)
	}
	if code, body, _ := ta.do("GET", "/api/runs", nil); code != 200 || !bytes.Contains(body, []byte(`"runs":[]`)) {
		t.Errorf("runs after the hostile configs: %d %s", code, body)
	}
	rss1 := vmRSS()
	t.Logf("resident memory %s before the hostile configs, %s after", run.FormatBytes(rss0), run.FormatBytes(rss1))
	if rss0 > 0 && rss1-rss0 > 256<<20 {
		t.Errorf("resident memory grew from %s to %s", run.FormatBytes(rss0), run.FormatBytes(rss1))
	}
	ta.Close()
	settle(t, baseline, "after the hostile configs")
}

// TestAPIFileNames: without -data-root no file may be named, and an
// existing file, a missing one and a device read the same; with it, only
// regular files under the root are read, escapes (.., absolute paths,
// symlinks out) read as "missing", and a file that is not a table gives
// an error without its bytes.
func TestAPIFileNames(t *testing.T) {
	baseline := runtime.NumGoroutine()
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(secret, []byte("arch,TOPSECRET-LINE\n"), 0o600)
	os.WriteFile(filepath.Join(root, "notatable.csv"), []byte("arch,HIDDEN-CONTENT\n|x|,1\n"), 0o600)
	os.Symlink(secret, filepath.Join(root, "escape.csv"))
	os.Symlink("/dev/zero", filepath.Join(root, "zero.csv"))
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	truth := func(p string) []byte {
		c := apiConfig(1, 1)
		c.Eval.Archs, c.Eval.Truth = "truth", p
		b, _ := json.Marshal(c)
		return b
	}
	// The message with the name taken out: the same for every refused name.
	answer := func(ta *testAPI, p string) (int, string) {
		code, body, _ := ta.do("POST", "/api/runs", truth(p))
		var e apiError
		json.Unmarshal(body, &e)
		if e.Field != "eval.truth" {
			t.Errorf("%s: %d %s, want eval.truth named", p, code, body)
		}
		return code, strings.ReplaceAll(e.Msg, strconv.Quote(p), "NAME")
	}

	ta := startAPI(t, testOptions(""))
	_, want := answer(ta, "/does/not/exist")
	for _, p := range []string{secret, "/etc/passwd", "/dev/zero", filepath.Join(root, "fifo.csv"), "relative.csv"} {
		if code, got := answer(ta, p); code != 400 || got != want {
			t.Errorf("no data root, %s: %d %q; want 400 %q like a missing file", p, code, got, want)
		}
	}
	ta.Close()

	o := testOptions("")
	o.DataRoot = root
	ta = startAPI(t, o)
	_, want = answer(ta, "missing.csv")
	for _, p := range []string{secret, "../" + filepath.Base(filepath.Dir(secret)) + "/secret.csv", "escape.csv", "zero.csv", "fifo.csv",
		"/etc/passwd", filepath.Join(root, "..", "x.csv"), "."} {
		if code, got := answer(ta, p); code != 400 || got != want {
			t.Errorf("data root, %s: %d %q; want 400 %q like a missing file", p, code, got, want)
		}
	}
	// A regular file under the root is read; what is not a table fails
	// the run without quoting it.
	for _, p := range []string{"notatable.csv", filepath.Join(root, "notatable.csv")} {
		code, body, _ := ta.do("POST", "/api/runs", truth(p))
		if code != http.StatusCreated {
			t.Fatalf("%s under the root: %d %s", p, code, body)
		}
		var r struct{ ID string }
		json.Unmarshal(body, &r)
		evs := ta.waitFor(r.ID, store.Failed)
		rec := ta.record(r.ID)
		all := rec.Error + strings.Join(evs, "")
		if strings.Contains(all, "HIDDEN") || !strings.Contains(rec.Error, "not a ground-truth table") {
			t.Errorf("%s: error %q / events quote the file or do not say what is wrong", p, rec.Error)
		}
	}
	ta.Close()
	settle(t, baseline, "after the file names")
}

// blockingFiles stands in for a data file that never finishes reading (a
// stuck network mount): open blocks until release is closed.
type blockingFiles struct {
	opened  chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingFiles) Open(field, name string) (io.ReadCloser, error) {
	b.once.Do(func() { close(b.opened) })
	<-b.release
	return nil, errors.New("released")
}

func (b *blockingFiles) ReadError(field, name string, err error) error { return err }

// TestAPIStopWhileLoading: a run stuck reading its data stops at once,
// and the server shuts down within its bound.
func TestAPIStopWhileLoading(t *testing.T) {
	baseline := runtime.NumGoroutine()
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "cifar"), 0o700)
	o := testOptions("")
	o.DataRoot = root
	ta := startAPI(t, o)
	bf := &blockingFiles{opened: make(chan struct{}), release: make(chan struct{})}
	ta.a.m.files = bf
	c := apiConfig(1, 1)
	c.Shape.InC, c.Shape.H, c.Shape.W = 3, 32, 32
	c.Data = run.Data{Name: "cifar10", Dir: "cifar", ValFrac: 0.1}
	stuck := ta.create(c)
	queued := ta.create(c)
	<-bf.opened
	t0 := time.Now()
	if code, body, _ := ta.do("POST", "/api/runs/"+stuck+"/stop", nil); code != 200 {
		t.Fatalf("stop: %d %s", code, body)
	}
	ta.waitFor(stuck, store.Stopped)
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stopping a loading run took %v", d)
	}
	// The queued run starts, gets stuck too; shutting down does not wait
	// for the loader.
	for ta.record(queued).State != store.Running {
		time.Sleep(10 * time.Millisecond)
	}
	t0 = time.Now()
	ta.Close()
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("shutdown with a loading run took %v", d)
	}
	close(bf.release)
	st, err := store.Open(o.Store)
	if err == nil {
		r, _ := st.Get(queued)
		if r.State != store.Interrupted || !strings.Contains(r.Reason, "loading") {
			t.Errorf("the loading run after shutdown: %s (%q)", r.State, r.Reason)
		}
		st.Close()
	}
	settle(t, baseline, "after the loaders")
}

// TestAPISlowClients: a client that never finishes its headers, one that
// sends a body slowly and an idle keep-alive connection are all cut off;
// an event stream lives past the timeouts.
func TestAPISlowClients(t *testing.T) {
	baseline := runtime.NumGoroutine()
	saved := httpTimeouts
	httpTimeouts.ReadHeader, httpTimeouts.Read, httpTimeouts.Write, httpTimeouts.Idle = 300*time.Millisecond, 600*time.Millisecond, 800*time.Millisecond, 400*time.Millisecond
	defer func() { httpTimeouts = saved }()
	o := testOptions(filepath.Join(t.TempDir(), "runs.db"))
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewHTTPServer(a.Handler(http.NotFoundHandler()))
	srv.Start()
	defer func() { a.Close(); srv.Close() }()
	addr := srv.Listener.Addr().String()

	cutOff := func(name string, send func(net.Conn)) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		t0 := time.Now()
		go send(c)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c) // until the server closes the connection
		if d := time.Since(t0); d > 3*time.Second {
			t.Errorf("%s: held for %v", name, d)
		}
	}
	cutOff("slowloris", func(c net.Conn) {
		fmt.Fprintf(c, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			if _, err := fmt.Fprintf(c, "X-Slow: 1\r\n"); err != nil {
				return
			}
		}
	})
	cutOff("slow body", func(c net.Conn) {
		fmt.Fprintf(c, "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
		for range 40 {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	})
	cutOff("idle keep-alive", func(c net.Conn) {
		fmt.Fprintf(c, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	})

	// A stream of a run that takes longer than every timeout is read
	// to its end.
	ta := remoteAPI(t, srv.URL)
	c := apiConfig(3, 2)
	id := ta.create(c)
	res, err := http.Get(srv.URL + "/api/runs/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	end := ""
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: end") {
			end = sc.Text()
		}
	}
	res.Body.Close()
	if end == "" {
		t.Errorf("the stream ended after %v without its end event: %v", time.Since(t0), sc.Err())
	}
	ta.Close()
	a.Close()
	srv.Close()
	settle(t, baseline, "after the slow clients")
}

// TestAPIInternalError: a handler's panic is answered with an id only,
// and the stack goes to the log.
func TestAPIInternalError(t *testing.T) {
	var log bytes.Buffer
	var mu sync.Mutex
	o := testOptions("")
	o.logf = func(f string, a ...any) { mu.Lock(); fmt.Fprintf(&log, f+"\n", a...); mu.Unlock() }
	ta := startAPI(t, o)
	ta.a.mux.HandleFunc("GET /api/test-panic", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	code, body, _ := ta.do("GET", "/api/test-panic", nil)
	var e apiError
	json.Unmarshal(body, &e)
	if code != 500 || e.ID == "" || strings.Contains(string(body), "secret") || strings.Contains(string(body), ".go") {
		t.Errorf("panic answer: %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(log.String(), e.ID) || !strings.Contains(log.String(), "secret detail") || !strings.Contains(log.String(), "api/hostile_test.go") {
		t.Errorf("the log lacks the id, the panic or its stack:\n%s", log.String())
	}
}

// TestAPIPagingRetention: GET /api/runs pages with a capped limit, and
// -keep-runs deletes the oldest finished runs, never a live one.
func TestAPIPagingRetention(t *testing.T) {
	o := testOptions("")
	o.KeepRuns = 4
	ta := startAPI(t, o)
	cfg := apiConfig(1, 1)
	for _, st := range []store.State{store.Done, store.Failed, store.Interrupted, store.Stopped} {
		r, _ := ta.a.st.Create(cfg)
		ta.a.st.Update(r.ID, func(r *store.Run) { r.State = st })
	}
	var ids []string
	for cursor, pages := "", 0; ; pages++ {
		code, body, _ := ta.do("GET", "/api/runs?limit=3&cursor="+cursor, nil)
		var page struct {
			Runs []runSummary
			Next string
		}
		if json.Unmarshal(body, &page); code != 200 || pages > 3 {
			t.Fatalf("page %d: %d %s", pages, code, body)
		}
		for _, r := range page.Runs {
			ids = append(ids, r.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if strings.Join(ids, ",") != "000001,000002,000003,000004" {
		t.Errorf("paged ids %v", ids)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=" + strings.Repeat("9", 40)} {
		if code, _, _ := ta.do("GET", "/api/runs?"+q, nil); code != 400 {
			t.Errorf("GET /api/runs?%s: %d, want 400", q, code)
		}
	}
	// Two new runs: the done and the failed ones (oldest finished) go.
	a, b := ta.create(cfg), ta.create(cfg)
	ta.waitFor(a, store.Done)
	ta.waitFor(b, store.Done)
	for _, id := range []string{"000001", "000002"} {
		if code, _, _ := ta.do("GET", "/api/runs/"+id, nil); code != 404 {
			t.Errorf("run %s outlived -keep-runs: %d", id, code)
		}
	}
	if r := ta.record("000003"); r.State != store.Interrupted {
		t.Errorf("the interrupted run: %s", r.State)
	}
	n, _ := ta.a.st.Count()
	if n != 4 {
		t.Errorf("%d runs kept, want 4", n)
	}
}

// TestAPIStoreTrouble: a store another server holds, and a damaged one,
// are refused with what to do; -store-fresh moves the damaged one aside.
func TestAPIStoreTrouble(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(filepath.Join(dir, "runs.db"))
	first := startAPI(t, o)
	if _, err := New(o); err == nil || !strings.Contains(err.Error(), "another server") || !strings.Contains(err.Error(), "-store FILE") {
		t.Errorf("second server on the store: %v", err)
	}
	first.Close()

	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, bytes.Repeat([]byte{0xa5}, 64<<10), 0o600)
	o = testOptions(bad)
	_, err := New(o)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "store check") || !strings.Contains(err.Error(), "-store-fresh") {
		t.Fatalf("damaged store: %v", err)
	}
	if _, err := CheckStore(bad); err == nil || !strings.Contains(err.Error(), "-store-fresh") {
		t.Errorf("store check of the damaged file: %v", err)
	}
	o.StoreFresh = true
	o.logf = t.Logf
	ta := startAPI(t, o)
	if code, _, _ := ta.do("GET", "/api/health", nil); code != 200 {
		t.Errorf("health on the fresh store: %d", code)
	}
	ta.Close()
	moved, _ := filepath.Glob(bad + ".damaged-*")
	if len(moved) != 1 {
		t.Errorf("damaged file moved to %v", moved)
	}
	if _, err := CheckStore(bad); err != nil {
		t.Errorf("store check of the fresh store: %v", err)
	}
}

// TestAPINoCrashLoop: a run that was running when the server died after
// an automatic resume is not resumed automatically again, and says why.
func TestAPINoCrashLoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := apiConfig(1, 1)
	again, _ := st.Create(cfg)
	first, _ := st.Create(cfg)
	st.Update(again.ID, func(r *store.Run) { r.State, r.AutoResumes = store.Running, 1 })
	st.Update(first.ID, func(r *store.Run) { r.State = store.Running })
	st.Close()
	o := testOptions(path)
	o.ResumeInterrupted = true
	o.logf = t.Logf
	ta := startAPI(t, o)
	ta.waitFor(first.ID, store.Done)
	if r := ta.record(first.ID); r.AutoResumes != 1 {
		t.Errorf("the resumed run counts %d automatic resumes, want 1", r.AutoResumes)
	}
	r := ta.record(again.ID)
	if r.State != store.Interrupted || !strings.Contains(r.Reason, "by hand") {
		t.Errorf("the run that died after an automatic resume: %s (%q)", r.State, r.Reason)
	}
	// By hand it resumes, and the count starts over.
	if code, body, _ := ta.do("POST", "/api/runs/"+again.ID+"/resume", nil); code != 200 {
		t.Fatalf("resume by hand: %d %s", code, body)
	}
	ta.waitFor(again.ID, store.Done)
	if r := ta.record(again.ID); r.AutoResumes != 0 || r.Reason != "" {
		t.Errorf("after a resume by hand: %d automatic resumes, reason %q", r.AutoResumes, r.Reason)
	}
}

// TestAPIThumbsCached: a run's images are loaded once for its thumbnails.
func TestAPIThumbsCached(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	id := ta.create(apiConfig(1, 3))
	ta.waitFor(id, store.Done)
	for range 3 {
		if code, body, _ := ta.do("GET", "/api/runs/"+id+"/thumbs?ids=1,2", nil); code != 200 {
			t.Fatalf("thumbs: %d %s", code, body)
		}
	}
	loads := 0
	if _, err := ta.a.tcache.get(id, func() (_ *data.Set, err error) { loads++; return nil, errors.New("reloaded") }); err != nil || loads != 0 {
		t.Errorf("the run's images were not cached: %v", err)
	}
	if code, _, _ := ta.do("GET", "/api/runs/"+id+"/thumbs?ids="+strings.Repeat("1,", 70)+"1", nil); code != 400 {
		t.Errorf("too many ids: %d", code)
	}
}
