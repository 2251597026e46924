// Package api is the run API of `serve web`: the native server trains
// Configs on all cores and streams their events, so that the page can
// hand a run to this machine instead of training it in the tab; runs,
// their checkpoints and results, and published races live in the run
// store. Every body is JSON; errors are
// {"error": "...", "field": "config.field", "offset": N} (field and offset
// when known).
//
//	GET    /api/health                  {"ok":true,"version":"1","config_version":1,"cores":N,"backend":"cpu",...}
//	POST   /api/runs                    body: a Config, or {"preset":"mini", ...fields to override}
//	                                    201 {"id","state"}; 400 names the field or byte offset;
//	                                    413 too large; 503 {"error":"busy: ..."} with Retry-After
//	GET    /api/runs                    every run: id, state, created, config summary, done (tau...)
//	GET    /api/runs/{id}               the run's record (config, state, counts, done, error)
//	DELETE /api/runs/{id}               forget a run that is not queued, running or paused
//	GET    /api/runs/{id}/events        text/event-stream: stored events from Last-Event-ID+1 or
//	                                    ?from=N, then live ones; "id:" is the event index and
//	                                    "data:" the event exactly as `serve train` writes it.
//	                                    Named events: "state" ({"state":...}) when the run is
//	                                    paused or resumed, "end" ({"state":...}) last. A stream
//	                                    asked to start past the end of a finished run answers 204
//	                                    so that an EventSource stops reconnecting.
//	GET    /api/runs/{id}/events?format=jsonl   the events so far as JSON lines
//	GET    /api/runs/{id}/thumbs?ids=3,17       pixels and labels of training examples (run.Batch)
//	POST   /api/runs/{id}/pause|resume|stop     resume also restarts an interrupted or stopped run
//	                                    from its last checkpoint (events after it are dropped)
//	GET    /api/runs/{id}/export        the whole run as JSON: record, events, ranking
//	GET    /api/runs/{id}/ranking.csv   arch,predicted_acc,truth_acc (at pause, stop and done)
//	GET    /api/runs/{id}/metrics.csv   one row per epoch (epoch is 0-based as in the events)
//	GET    /api/runs/{id}/weights.npz   supernet weights under PyTorch state_dict keys
//
// Who may call it: the server listens on loopback, and a request is
// refused (403) when its Host is not a loopback name while listening on
// loopback (DNS rebinding), when its Origin is neither the server's own nor
// one given with -allow-origin, or, without Origin, when the browser marks
// it as coming from another site or origin (Sec-Fetch-Site other than
// same-origin or none). A request with neither header does not come from
// a web page, so it is allowed: a program that can reach the loopback
// (curl, scripts) already runs as a local user who could run the trainer
// itself.
package api

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"pada/core/run"
	"pada/serve/native"
	"pada/serve/store"
)

// apiVersion changes when the API changes incompatibly.
const apiVersion = "1"

// Options are the API's settings: the web command's flags.
type Options struct {
	Enabled           bool
	Store             string
	MaxRuns           int   // runs training at once
	Queue             int   // runs waiting for a slot at most
	Threads           int   // CPU threads per run; 0: cores / MaxRuns
	MaxBody           int64 // bytes
	AllowOrigins      originList
	ResumeInterrupted bool
	// MaxMem is the memory budget of the runs in bytes: one run's
	// estimate may not exceed it, and runs start only while their
	// estimates together fit (0: defaultMaxMem).
	MaxMem int64
	// DataRoot, when set, is the one folder whose regular files API
	// Configs may name (data.dir, eval.truth).
	DataRoot string
	// KeepRuns is how many runs the store keeps: beyond it the oldest
	// finished ones are deleted (0: keep all).
	KeepRuns int
	// StoreFresh moves a damaged store aside and starts a new one.
	StoreFresh bool
	// LoopbackHost refuses requests whose Host is not a loopback name;
	// set when the server listens on loopback.
	LoopbackHost bool
	logf         func(string, ...any) // the server's log (stderr when nil)
}

// originList is a repeatable, comma-separable flag of origins.
type originList []string

func (o *originList) String() string { return strings.Join(*o, ",") }

func (o *originList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return fmt.Errorf("origin %q: want scheme://host[:port], e.g. https://blog.example", s)
		}
		*o = append(*o, s)
	}
	return nil
}

// Flags adds the API's flags to the web command.
func Flags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.BoolVar(&o.Enabled, "api", true, "serve the run API under /api/ (native training)")
	fs.StringVar(&o.Store, "store", "", "run store file (default: pada/runs.db in the user config folder)")
	fs.IntVar(&o.MaxRuns, "max-runs", 4, "runs that train at once (each on -threads cores); 4 lets the page race its largest race side by side")
	fs.IntVar(&o.Queue, "queue", 8, "runs that may wait for a slot; beyond it the API answers 503 busy")
	fs.IntVar(&o.Threads, "threads", 0, "CPU threads per run (0: all cores divided by -max-runs)")
	fs.Int64Var(&o.MaxBody, "max-body", 1<<20, "largest API request body in bytes")
	fs.Var(&o.AllowOrigins, "allow-origin", "also accept API calls from pages of this origin (repeatable or comma-separated, e.g. https://blog.example)")
	fs.BoolVar(&o.ResumeInterrupted, "resume-interrupted", false, "resume the runs that a previous server left unfinished (not those that were running when it died after an automatic resume)")
	fs.Var((*byteSize)(&o.MaxMem), "max-mem", "memory budget of the runs, e.g. 8G or 512M (default: half of this machine's memory)")
	fs.StringVar(&o.DataRoot, "data-root", "", "the folder whose files API clients may name in data.dir and eval.truth (default: none, only the built-in data and tables)")
	fs.IntVar(&o.KeepRuns, "keep-runs", 500, "runs the store keeps; beyond it the oldest finished runs are deleted (0: keep all)")
	fs.BoolVar(&o.StoreFresh, "store-fresh", false, "if the store is damaged, move it aside (FILE.damaged-TIME) and start a new one")
	return o
}

// byteSize is a flag of a byte count with an optional binary suffix.
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return run.FormatBytes(int64(*b))
}

func (b *byteSize) Set(v string) error {
	n, err := parseBytes(v)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// parseBytes reads 1073741824, 1G, 1GiB, 512M, 64k.
func parseBytes(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	shift := 0
	if k := len(s); k > 0 {
		if i := strings.IndexByte("KMGT", s[k-1]); i >= 0 {
			shift, s = 10*(i+1), s[:k-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > run.MaxMemory>>shift {
		return 0, fmt.Errorf("%q: want a byte count up to %s, e.g. 8G or 512M", v, run.FormatBytes(run.MaxMemory))
	}
	return n << shift, nil
}

// defaultMaxMem is the server's -max-mem when none is given: half of the
// machine's memory (the rest is for the system and the other programs),
// or 4 GiB where the machine's memory cannot be read.
func defaultMaxMem() int64 {
	if m := native.MachineMemory(); m > 0 {
		return min(m/2, run.MaxMemory)
	}
	return 4 << 30
}

func (o *Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return max(1, runtime.NumCPU()/max(1, o.MaxRuns))
}

// Open opens the store, marks the runs a previous server left
// unfinished as interrupted and (with -resume-interrupted) queues them
// again; it runs before the page is built so that a store another server
// holds or a damaged one is reported at once. addr is the address the
// server listens on, logf its log. With -api=false it opens nothing and
// returns a nil *Server, whose Handler is the static handler alone.
func (o *Options) Open(addr string, logf func(string, ...any)) (*Server, error) {
	if !o.Enabled {
		return nil, nil
	}
	if o.Store == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("api: no -store given and %w", err)
		}
		o.Store = filepath.Join(d, "pada", "runs.db")
	}
	if err := os.MkdirAll(filepath.Dir(o.Store), 0o755); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	o.LoopbackHost = isLoopback(addr)
	o.logf = logf
	a, err := New(*o)
	if err != nil {
		return nil, err
	}
	root := "none (built-in data only)"
	if a.opt.DataRoot != "" {
		root = a.opt.DataRoot
	}
	logf("api: runs in %s (%d at once, %d threads each, queue %d, memory budget %s, keeping %d runs, data root: %s)",
		o.Store, a.opt.MaxRuns, a.opt.threads(), a.opt.Queue, run.FormatBytes(a.opt.MaxMem), a.opt.KeepRuns, root)
	return a, nil
}

// HTTP timeouts: a client gets this long to send its headers, its whole
// request, and to read an answer, and an idle keep-alive connection is
// closed after idleTimeout. Event streams lift the read deadline and set
// a write deadline per write (stream.go). Tests shorten them.
var httpTimeouts = struct{ ReadHeader, Read, Write, Idle time.Duration }{
	ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second,
}

// NewHTTPServer is the server of the page and the API, with the timeouts.
func NewHTTPServer(h http.Handler) *http.Server {
	t := httpTimeouts
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: 64 << 10}
}

// shutdownWait bounds how long stopping the server waits for its runs to
// checkpoint; a run still busy after it is marked interrupted at the next
// start.
const shutdownWait = 20 * time.Second

// Server is the run API: the HTTP side of the run manager.
type Server struct {
	opt    Options
	st     *store.Store
	m      *manager
	mux    *http.ServeMux
	cors   map[string]bool
	files  native.RootFiles
	tcache thumbCache
}

// New opens the store o names and starts the manager (Open also fills in
// the defaults of the web command).
func New(o Options) (*Server, error) {
	if o.MaxRuns < 1 {
		o.MaxRuns = 1
	}
	if o.Queue < 0 {
		o.Queue = 0
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.MaxMem <= 0 {
		o.MaxMem = defaultMaxMem()
	}
	if o.KeepRuns < 0 {
		o.KeepRuns = 0
	}
	if o.logf == nil {
		o.logf = func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	}
	var files native.RootFiles
	if o.DataRoot != "" {
		var err error
		if files, err = native.OpenRoot(o.DataRoot); err != nil {
			return nil, fmt.Errorf("api: -data-root: %w", err)
		}
		o.DataRoot = files.Dir()
	}
	st, err := openStore(o)
	if err != nil {
		files.Close()
		return nil, err
	}
	a := &Server{opt: o, st: st, mux: http.NewServeMux(), cors: map[string]bool{}, files: files}
	m, err := newManager(st, o, a.vet, files)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("api: %w", err)
	}
	a.m = m
	for _, origin := range o.AllowOrigins {
		a.cors[origin] = true
	}
	a.routes()
	return a, nil
}

// Close stops the manager (runs in progress are checkpointed and marked
// interrupted, waiting at most shutdownWait) and closes the store; it
// does nothing on a nil Server.
func (a *Server) Close() {
	if a == nil {
		return
	}
	a.m.shutdown(shutdownWait)
	a.st.Close()
	a.files.Close()
}

// Store is the open run store (nil for a nil Server): the web server's
// recorder of sweep runs writes it.
func (a *Server) Store() *store.Store {
	if a == nil {
		return nil
	}
	return a.st
}

// openStore opens the run store, saying what to do when another server
// holds it or it is damaged; with -store-fresh a damaged one is moved
// aside for a new one.
func openStore(o Options) (*store.Store, error) {
	st, err := store.Open(o.Store)
	switch {
	case err == nil:
		return st, nil
	case errors.Is(err, store.ErrHeld):
		return nil, fmt.Errorf("api: the run store %s is in use by another server (is `go run ./serve` already running?). "+
			"Stop that one, or give this one its own store with -store FILE (or -api=false to serve the page alone)", o.Store)
	case errors.Is(err, store.ErrDamaged) && o.StoreFresh:
		to, merr := store.MoveAside(o.Store)
		if merr != nil {
			return nil, fmt.Errorf("api: %w; %w", err, merr)
		}
		o.logf("api: %v\napi: moved the damaged store to %s and started a new one", err, to)
		if st, err = store.Open(o.Store); err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
		return st, nil
	case errors.Is(err, store.ErrDamaged):
		return nil, fmt.Errorf("api: %w.\n  `go run ./serve store check -store %s` tells more; start with -store-fresh to move the damaged file aside (%s.damaged-TIME) and begin a new store, or choose another with -store FILE", err, o.Store, o.Store)
	}
	return nil, fmt.Errorf("api: %w", err)
}

// CheckStore reads every page and record of the run store at path and
// says what it holds, or what is wrong and what to do (`serve store
// check`).
func CheckStore(path string) (string, error) {
	st, runs, err := store.Check(path)
	switch {
	case errors.Is(err, store.ErrHeld):
		return "", fmt.Errorf("%w: stop the server that uses it to check it", err)
	case errors.Is(err, store.ErrDamaged):
		return "", fmt.Errorf("%w\n  start the server with -store %s -store-fresh to move it aside (%s.damaged-TIME) and begin a new store", err, path, path)
	case err != nil:
		return "", err
	}
	return fmt.Sprintf("store %s is sound: %d runs, %d buckets, %d records, %s of keys and values", path, runs, st.Buckets, st.Keys, run.FormatBytes(st.Bytes)), nil
}

// Handler serves /api/ from the API and everything else from static; a
// nil Server (-api=false) serves static alone.
func (a *Server) Handler(static http.Handler) http.Handler {
	if a == nil {
		return static
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			a.ServeHTTP(w, r)
			return
		}
		static.ServeHTTP(w, r)
	})
}

func (a *Server) routes() {
	a.mux.HandleFunc("GET /api/health", a.health)
	a.mux.HandleFunc("POST /api/runs", a.create)
	a.mux.HandleFunc("GET /api/runs", a.list)
	a.mux.HandleFunc("GET /api/runs/{id}", a.get)
	a.mux.HandleFunc("DELETE /api/runs/{id}", a.delete)
	a.mux.HandleFunc("GET /api/runs/{id}/events", a.events)
	a.mux.HandleFunc("POST /api/runs/{id}/{action}", a.control)
	a.mux.HandleFunc("GET /api/runs/{id}/export", a.export)
	a.mux.HandleFunc("GET /api/runs/{id}/ranking.csv", a.ranking)
	a.mux.HandleFunc("GET /api/runs/{id}/metrics.csv", a.metrics)
	a.mux.HandleFunc("GET /api/runs/{id}/weights.npz", a.weights)
	a.mux.HandleFunc("GET /api/runs/{id}/thumbs", a.thumbs)
	a.shareRoutes() // POST /api/shares, GET and DELETE /api/shares/{id}: share.go
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Code: http.StatusNotFound, Msg: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	})
}

// ServeHTTP checks who is calling, answers CORS preflights for the
// allowed origins, bounds the body and dispatches.
func (a *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cross, err := a.admit(r)
	if err != nil {
		writeError(w, &apiError{Code: http.StatusForbidden, Msg: err.Error()})
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if cross {
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Last-Event-ID")
			h.Set("Access-Control-Max-Age", "600")
			if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
				// Chromium asks before a public page may reach loopback.
				h.Set("Access-Control-Allow-Private-Network", "true")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if e := jsonBody(r); e != nil {
		writeError(w, e)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.opt.MaxBody)
	defer a.recoverPanic(w, r)
	a.mux.ServeHTTP(w, r)
}

// jsonBody refuses a mutating request that carries a body or a
// Content-Type other than application/json: an HTML form or a "simple"
// fetch (text/plain, no preflight) from another page cannot send one.
// Bodyless control requests (pause, stop, ...) need no Content-Type.
func jsonBody(r *http.Request) *apiError {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return &apiError{Code: http.StatusUnsupportedMediaType, Msg: fmt.Sprintf("Content-Type %q: API requests with a body must be application/json", ct)}
}

// recoverPanic logs a handler's panic with its stack under an id and
// answers with the id only: no stack or source path reaches a client.
func (a *Server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil || p == http.ErrAbortHandler {
		if p != nil {
			panic(p)
		}
		return
	}
	id := a.internal(fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, p), debug.Stack())
	writeError(w, &apiError{Code: http.StatusInternalServerError, Msg: "internal error " + id + " (the server's log has the details)", ID: id})
}

// internal logs an internal error with its stack and returns its id.
func (a *Server) internal(what string, stack []byte) string {
	return logInternal(a.opt.logf, what, stack)
}

var internalSeq atomic.Int64

func logInternal(logf func(string, ...any), what string, stack []byte) string {
	id := fmt.Sprintf("E%d-%d", time.Now().Unix()%100000, internalSeq.Add(1))
	logf("api: internal error %s: %s\n%s", id, what, stack)
	return id
}

// vet is what a Config from an API client must pass beyond Validate
// (which readConfig has applied): the server's memory budget and the
// files rule. It also runs when a stored run is resumed, since the store
// may hold runs from a server with other limits.
func (a *Server) vet(c run.Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := c.CheckBudget(a.opt.MaxMem); err != nil {
		return fmt.Errorf("%w (this server's -max-mem)", err)
	}
	return a.files.Check(c)
}

// admit applies the policy in the file comment; cross reports an allowed
// foreign origin, which gets CORS headers.
func (a *Server) admit(r *http.Request) (cross bool, err error) {
	if a.opt.LoopbackHost && !isLoopback(hostOnly(r.Host)) {
		return false, fmt.Errorf("host %q is not a loopback name: refused (this server only answers http://127.0.0.1 or localhost)", r.Host)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		switch {
		case a.cors[origin]:
			return true, nil
		case sameOrigin(origin, r):
			return false, nil
		}
		return false, fmt.Errorf("origin %s may not use this API (start the server with -allow-origin %s to allow it)", origin, origin)
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
		return false, nil
	default:
		return false, fmt.Errorf("%s request refused", site)
	}
}

// sameOrigin reports whether origin is the page this server serves.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && strings.EqualFold(u.Host, r.Host) && u.Path == ""
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// isLoopback reports whether host names this machine's loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (a *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "version": apiVersion, "config_version": run.Version,
		"cores": runtime.NumCPU(), "backend": "cpu",
		"max_runs": a.opt.MaxRuns, "threads": a.opt.threads(), "queue": a.opt.Queue,
		"max_mem": a.opt.MaxMem, "max_body": a.opt.MaxBody, "keep_runs": a.opt.KeepRuns,
		"data_root": a.opt.DataRoot != "", "max_events": run.MaxEvents,
	})
}

// apiError is an error answer.
type apiError struct {
	Code   int    `json:"-"`
	Msg    string `json:"error"`
	Field  string `json:"field,omitempty"`
	Offset *int64 `json:"offset,omitempty"`
	ID     string `json:"id,omitempty"` // of an internal error, in the server's log
}

func (e *apiError) Error() string { return e.Msg }

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, e)
}

// storeError maps a store error to an answer.
func storeError(err error) *apiError {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{Code: http.StatusNotFound, Msg: err.Error()}
	}
	return &apiError{Code: http.StatusInternalServerError, Msg: err.Error()}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, fmt.Appendf(nil, `{"error":%q}`, err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
