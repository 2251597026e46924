package queue

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

func startServer(t *testing.T, o ServerOptions) *Server {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func connect(t *testing.T, url string, o Options) *Queue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := Connect(ctx, url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

// collect reads batch's results until want distinct jobs have one.
func collect(t *testing.T, q *Queue, batch string, want int) map[string]Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[string]Result{}
	err := q.Results(ctx, batch, func(r Result) error {
		if _, dup := got[r.JobID]; dup {
			return fmt.Errorf("a second result for %s", r.JobID)
		}
		got[r.JobID] = r
		if len(got) == want {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || len(got) != want {
		t.Fatalf("Results: %v with %d of %d results", err, len(got), want)
	}
	return got
}

// TestQueue runs jobs on three workers: every job's result arrives once
// with the handler's answer, a job that always fails is parked with its
// error after MaxDeliver deliveries, a panicking job too, and a job
// submitted twice runs once.
func TestQueue(t *testing.T) {
	s := startServer(t, ServerOptions{})
	q := connect(t, s.URL(), Options{Name: "coordinator", AckWait: 2 * time.Second, MaxDeliver: 2})
	ctx := context.Background()
	var mu sync.Mutex
	runs := map[string]int{}
	h := func(ctx context.Context, j Job, progress func()) (json.RawMessage, error) {
		mu.Lock()
		runs[j.ID]++
		mu.Unlock()
		progress()
		switch j.ID {
		case "poison":
			return nil, errors.New("bad config: data.dir /nonexistent")
		case "panic":
			panic("index out of range")
		}
		var n int
		if err := json.Unmarshal(j.Body, &n); err != nil {
			return nil, err
		}
		return json.Marshal(n * n)
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range 3 {
		w := connect(t, s.URL(), Options{Name: fmt.Sprintf("w%d", i)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Work(wctx, h); err != nil {
				t.Error(err)
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()

	// The workers subscribe in their own goroutines: under load one may
	// not listen yet when the first question goes out.
	var names []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		names, err = q.Workers(ctx, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		if slices.Equal(names, []string{"w0", "w1", "w2"}) || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Equal(names, []string{"w0", "w1", "w2"}) {
		t.Errorf("Workers answered %v", names)
	}
	const n = 12
	for i := range n {
		if err := q.Submit(ctx, Job{ID: fmt.Sprintf("j%d", i), Batch: "b1", Kind: "square", Body: json.RawMessage(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Submit(ctx, Job{ID: "j3", Batch: "b1", Kind: "square", Body: json.RawMessage("3")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"poison", "panic"} {
		if err := q.Submit(ctx, Job{ID: id, Batch: "b1", Kind: "square", Body: json.RawMessage("0")}); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, q, "b1", n+2)
	for i := range n {
		r := got[fmt.Sprintf("j%d", i)]
		if r.Error != "" || string(r.Body) != fmt.Sprint(i*i) || r.Parked {
			t.Errorf("job j%d: %+v", i, r)
		}
	}
	for id, msg := range map[string]string{"poison": "bad config: data.dir /nonexistent", "panic": "the job panicked: index out of range"} {
		r := got[id]
		if !r.Parked || r.Error != msg || r.Attempt != 2 {
			t.Errorf("%s: %+v, want parked after 2 deliveries with %q", id, r, msg)
		}
	}
	mu.Lock()
	if runs["j3"] != 1 || runs["poison"] != 2 {
		t.Errorf("j3 ran %d times (want 1: submitted twice), poison %d (want 2)", runs["j3"], runs["poison"])
	}
	mu.Unlock()
	// A result is published before its job is acked (or terminated, for
	// a parked one), so the last acks may still be on their way.
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := q.Pending(ctx, "b1")
		if err == nil && p == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("Pending %d, %v 10 s after the last result; want 0", p, err)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := q.Submit(ctx, Job{ID: "a.b", Batch: "b1"}); err == nil || !strings.Contains(err.Error(), "job ID") {
		t.Errorf("Submit with a dot in the ID: %v", err)
	}
}

// TestRedeliveryAndRestart: a worker that takes a job and goes silent
// (as a killed one does) loses it after the ack wait to another worker;
// a long job that reports progress is not redelivered; after the server
// restarts from its folder, queued jobs and results are still there.
func TestRedeliveryAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(ServerOptions{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	url := s.URL()
	ctx := context.Background()
	q, err := Connect(ctx, url, Options{Name: "c", AckWait: time.Second, MaxDeliver: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := q.Submit(ctx, Job{ID: fmt.Sprintf("j%d", i), Batch: "b", Kind: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	// A worker that hangs on its first job until its context ends, like
	// a process that died without acking.
	hung := connect(t, url, Options{Name: "hung"})
	hctx, hstop := context.WithCancel(ctx)
	took := make(chan string, 1)
	go hung.Work(hctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) {
		took <- j.ID
		hung.Close() // no more progress reports, no ack: dead
		<-ctx.Done()
		return nil, ctx.Err()
	})
	lost := <-took
	defer hstop()

	// One slow job (3 ack waits) on a live worker, then restart the
	// server before the rest are taken.
	w := connect(t, url, Options{Name: "live"})
	wctx, wstop := context.WithCancel(ctx)
	var mu sync.Mutex
	runs := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Work(wctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) {
			mu.Lock()
			runs[j.ID]++
			mu.Unlock()
			if j.ID == "j1" || j.ID == "j0" {
				time.Sleep(3 * time.Second)
			}
			return json.RawMessage(`"ok"`), nil
		})
	}()
	first := collect(t, q, "b", 1)
	wstop()
	<-done
	q.Close()
	s.Close()

	s, err = Start(ServerOptions{Dir: dir, Listen: strings.TrimPrefix(url, "nats://")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q = connect(t, s.URL(), Options{Name: "c2"})
	w2 := connect(t, s.URL(), Options{Name: "live2"})
	wctx, wstop = context.WithCancel(ctx)
	defer wstop()
	go w2.Work(wctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) {
		mu.Lock()
		runs[j.ID]++
		mu.Unlock()
		return json.RawMessage(`"ok"`), nil
	})
	got := collect(t, q, "b", 3)
	for id := range first {
		if got[id].Worker != first[id].Worker || !got[id].Finished.Equal(first[id].Finished) {
			t.Errorf("result of %s changed over the restart: %+v, was %+v", id, got[id], first[id])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range runs {
		if n != 1 {
			t.Errorf("%s ran %d times on live workers (want 1)", id, n)
		}
	}
	if runs[lost] != 1 {
		t.Errorf("%s, taken by the dead worker, ran %d times elsewhere (want 1)", lost, runs[lost])
	}
}

// TestCredentials: beyond loopback a server needs credentials; a client
// with a wrong token or an unknown NKey is refused, the right ones get in.
func TestCredentials(t *testing.T) {
	if _, err := Start(ServerOptions{Dir: t.TempDir(), Listen: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("listening on 0.0.0.0 without credentials: %v", err)
	}
	ctx := context.Background()
	s := startServer(t, ServerOptions{Token: "s3cret"})
	if _, err := Connect(ctx, s.URL(), Options{Creds: Creds{Token: "wrong"}}); err == nil || !strings.Contains(err.Error(), "uthorization") {
		t.Errorf("wrong token: %v", err)
	}
	if _, err := Connect(ctx, s.URL(), Options{}); err == nil {
		t.Error("no token: connected")
	}
	connect(t, s.URL(), Options{Creds: Creds{Token: "s3cret"}})

	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.nk"), filepath.Join(dir, "bad.nk")
	os.WriteFile(good, seed, 0o600)
	os.WriteFile(bad, otherSeed, 0o600)
	s = startServer(t, ServerOptions{NKeys: []string{pub}})
	if _, err := Connect(ctx, s.URL(), Options{Creds: Creds{NKeySeed: bad}}); err == nil {
		t.Error("unknown NKey: connected")
	}
	connect(t, s.URL(), Options{Creds: Creds{NKeySeed: good}})
	if _, err := Start(ServerOptions{Dir: t.TempDir(), NKeys: []string{"not-a-key"}}); err == nil || !strings.Contains(err.Error(), "public key") {
		t.Errorf("bad NKey: %v", err)
	}
}

// TestTLS: a server with a certificate takes a client that trusts its
// authority over tls://, and refuses one that does not.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	s := startServer(t, ServerOptions{TLSCert: cert, TLSKey: keyFile})
	if !strings.HasPrefix(s.URL(), "tls://") {
		t.Fatalf("URL %s", s.URL())
	}
	q := connect(t, s.URL(), Options{Creds: Creds{CAFile: cert}})
	if err := q.Submit(context.Background(), Job{ID: "j", Batch: "tls", Kind: "k"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Connect(context.Background(), s.URL(), Options{}); err == nil {
		t.Error("a client that does not trust the certificate connected")
	}
	if _, err := Start(ServerOptions{Dir: t.TempDir(), Listen: "127.0.0.1:0", TLSCert: cert}); err == nil {
		t.Error("a certificate without its key was taken")
	}
}

// TestParkDead: a job whose every delivery goes to a worker that dies on
// it is parked, with the reason, by the next worker that receives it once
// its MaxDeliver deliveries ran out (no coordinator needs to be
// listening), and leaves the queue.
func TestParkDead(t *testing.T) {
	s := startServer(t, ServerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q := connect(t, s.URL(), Options{Name: "c", AckWait: 500 * time.Millisecond, MaxDeliver: 2})
	if err := q.Submit(ctx, Job{ID: "killer", Batch: "dead", Kind: "k", Body: json.RawMessage(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		w := connect(t, s.URL(), Options{Name: fmt.Sprint("doomed", i)})
		took := make(chan struct{})
		go w.Work(ctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) {
			close(took)
			w.Close() // dies: no progress, no ack
			<-ctx.Done()
			return nil, ctx.Err()
		})
		<-took
	}
	live := connect(t, s.URL(), Options{Name: "live"})
	go live.Work(ctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) {
		t.Errorf("job %s run a third time", j.ID)
		return nil, nil
	})
	r := collect(t, q, "dead", 1)["killer"]
	if !r.Parked || r.Attempt != 2 || !strings.Contains(r.Error, "never finished") || r.Worker != "live" || string(r.Job) != `{"n":1}` {
		t.Errorf("result %+v", r)
	}
	// The job leaves the queue just after its result is published.
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		p, err := q.Pending(ctx, "dead")
		if err == nil && p == 0 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("Pending %d, %v; want 0", p, err)
		}
	}
}

// TestWorkerOutlivesServerRestart: a worker whose server goes away for
// longer than it tries to publish a finished job's result keeps working:
// it says so, the job is delivered again once the server is back, and
// every job gets its result. (A worker that gave up here left the queue
// with nobody to run it: the flaky TestSweepKillWorkerAndServer of
// 2026-12-02, where both workers lost a result or an ack as the sweep's
// server was killed.)
func TestWorkerOutlivesServerRestart(t *testing.T) {
	fw, aw := finishWait, attemptWait
	finishWait, attemptWait = time.Second, 200*time.Millisecond
	defer func() { finishWait, attemptWait = fw, aw }()
	dir := t.TempDir()
	s, err := Start(ServerOptions{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL(), "nats://")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q := connect(t, s.URL(), Options{Name: "c", AckWait: 2 * time.Second})
	for i := range 3 {
		if err := q.Submit(ctx, Job{ID: fmt.Sprint("j", i), Batch: "r", Kind: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	var logs strings.Builder
	var lmu sync.Mutex
	w := connect(t, s.URL(), Options{Name: "w", Logf: func(f string, a ...any) {
		lmu.Lock()
		fmt.Fprintf(&logs, f, a...)
		lmu.Unlock()
	}})
	restarted := make(chan struct{})
	var once sync.Once
	werr := make(chan error, 1)
	go func() {
		werr <- w.Work(ctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) {
			once.Do(func() {
				// The server dies as the first job ends and is back
				// after finishWait, on the same folder and port.
				s.Close()
				go func() {
					time.Sleep(2 * finishWait)
					var err error
					if s, err = Start(ServerOptions{Dir: dir, Listen: addr}); err != nil {
						t.Error(err)
					}
					close(restarted)
				}()
			})
			return json.RawMessage(`"ok"`), nil
		})
	}()
	<-restarted
	defer func() { s.Close() }()
	q2 := connect(t, s.URL(), Options{Name: "c2"})
	got := collect(t, q2, "r", 3)
	for id, r := range got {
		if r.Error != "" || string(r.Body) != `"ok"` {
			t.Errorf("%s: %+v", id, r)
		}
	}
	select {
	case err := <-werr:
		t.Fatalf("the worker stopped: %v", err)
	default:
	}
	cancel()
	if err := <-werr; err != nil {
		t.Errorf("Work: %v", err)
	}
	lmu.Lock()
	if !strings.Contains(logs.String(), "publishing the result of j0") {
		t.Errorf("the worker did not say it lost j0's result: %q", logs.String())
	}
	lmu.Unlock()
}

// TestFollowAndServerConnect: the server's own client gets in without the
// NKeys its workers need; a durable Follow sees each result once, across
// a restart of the server, and a result its callback fails on again.
func TestFollowAndServerConnect(t *testing.T) {
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedFile := filepath.Join(t.TempDir(), "w.nk")
	os.WriteFile(seedFile, seed, 0o600)
	dir := t.TempDir()
	o := ServerOptions{Dir: dir, Listen: "127.0.0.1:0", NKeys: []string{pub}}
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	own, err := s.Connect(ctx, Options{Name: "own"})
	if err != nil {
		t.Fatal(err)
	}
	w := connect(t, s.URL(), Options{Name: "w", Creds: Creds{NKeySeed: seedFile}})
	wctx, wstop := context.WithCancel(ctx)
	go w.Work(wctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) { return json.RawMessage(`1`), nil })
	submit := func(q *Queue, ids ...string) {
		for _, id := range ids {
			if err := q.Submit(ctx, Job{ID: id, Batch: "f", Kind: "k"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// follow takes results until it has want distinct ones; the first
	// offer of "fail-once" fails.
	seen := map[string]int{}
	failed := false
	follow := func(q *Queue, want int) {
		fctx, fcancel := context.WithCancel(ctx)
		defer fcancel()
		err := q.Follow(fctx, "rec", func(r Result) error {
			if r.JobID == "fail-once" && !failed {
				failed = true
				return errors.New("store busy")
			}
			seen[r.JobID]++
			if len(seen) == want {
				fcancel()
			}
			return nil
		})
		if err != nil || ctx.Err() != nil {
			t.Fatalf("Follow: %v (%v); seen %v", err, ctx.Err(), seen)
		}
	}
	submit(own, "a", "fail-once")
	follow(own, 2)
	wstop()
	own.Close()
	s.Close()

	s, err = Start(ServerOptions{Dir: dir, Listen: strings.TrimPrefix(s.URL(), "nats://"), NKeys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	own, err = s.Connect(ctx, Options{Name: "own2"})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	w2 := connect(t, s.URL(), Options{Name: "w2", Creds: Creds{NKeySeed: seedFile}})
	go w2.Work(ctx, func(ctx context.Context, j Job, _ func()) (json.RawMessage, error) { return json.RawMessage(`2`), nil })
	submit(own, "b")
	follow(own, 3)
	if seen["a"] != 1 || seen["b"] != 1 || seen["fail-once"] != 1 || !failed {
		t.Errorf("seen %v (failed %v); want each once", seen, failed)
	}
	if _, err := Connect(ctx, s.URL(), Options{}); err == nil {
		t.Error("a client without an NKey connected")
	}
}
