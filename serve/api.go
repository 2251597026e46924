package main

// The run API: the native server trains Configs on all cores and streams
// their events, so that the page can hand a run to this machine instead
// of training it in the tab. Every body is JSON; errors are
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
//	GET    /api/runs/{id}/thumbs?ids=3,17       pixels and labels of training examples (msg.Batch)
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

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"pada/core/run"
	"pada/serve/store"
)

// apiVersion changes when the API changes incompatibly.
const apiVersion = "1"

// apiOptions are the API's settings: the web command's flags.
type apiOptions struct {
	Enabled           bool
	Store             string
	MaxRuns           int   // runs training at once
	Queue             int   // runs waiting for a slot at most
	Threads           int   // CPU threads per run; 0: cores / MaxRuns
	MaxBody           int64 // bytes
	AllowOrigins      originList
	ResumeInterrupted bool
	// LoopbackHost refuses requests whose Host is not a loopback name;
	// set when the server listens on loopback.
	LoopbackHost bool
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

// apiFlags adds the API's flags to the web command.
func apiFlags(fs *flag.FlagSet) *apiOptions {
	o := &apiOptions{}
	fs.BoolVar(&o.Enabled, "api", true, "serve the run API under /api/ (native training)")
	fs.StringVar(&o.Store, "store", "", "run store file (default: pada/runs.db in the user config folder)")
	fs.IntVar(&o.MaxRuns, "max-runs", 4, "runs that train at once (each on -threads cores); 4 lets the page race its largest race side by side")
	fs.IntVar(&o.Queue, "queue", 8, "runs that may wait for a slot; beyond it the API answers 503 busy")
	fs.IntVar(&o.Threads, "threads", 0, "CPU threads per run (0: all cores divided by -max-runs)")
	fs.Int64Var(&o.MaxBody, "max-body", 1<<20, "largest API request body in bytes")
	fs.Var(&o.AllowOrigins, "allow-origin", "also accept API calls from pages of this origin (repeatable or comma-separated, e.g. https://blog.example)")
	fs.BoolVar(&o.ResumeInterrupted, "resume-interrupted", false, "resume the runs that a previous server left unfinished")
	return o
}

func (o *apiOptions) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return max(1, runtime.NumCPU()/max(1, o.MaxRuns))
}

// mount puts the API in front of the static handler. It opens the store,
// marks the runs a previous server left unfinished as interrupted and
// (with -resume-interrupted) queues them again. stop checkpoints the
// runs in progress, marks them interrupted and closes the store.
func (o *apiOptions) mount(static http.Handler, addr string, logf func(string, ...any)) (h http.Handler, stop func(), err error) {
	if !o.Enabled {
		return static, func() {}, nil
	}
	if o.Store == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return nil, nil, fmt.Errorf("api: no -store given and %w", err)
		}
		o.Store = filepath.Join(d, "pada", "runs.db")
	}
	if err := os.MkdirAll(filepath.Dir(o.Store), 0o755); err != nil {
		return nil, nil, fmt.Errorf("api: %w", err)
	}
	o.LoopbackHost = isLoopback(addr)
	a, err := newAPI(*o)
	if err != nil {
		return nil, nil, err
	}
	logf("api: runs in %s (%d at once, %d threads each, queue %d)", o.Store, max(1, o.MaxRuns), o.threads(), o.Queue)
	return a.mount(static), a.Close, nil
}

// serveUntilSignal serves until SIGINT or SIGTERM, then stops the API
// (which checkpoints its runs) and lets open requests finish briefly.
func serveUntilSignal(srv *http.Server, ln net.Listener, stop func()) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stop()
		return err
	case <-ctx.Done():
	}
	stop()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	return srv.Shutdown(sctx)
}

// api is the HTTP side of the run manager.
type api struct {
	opt  apiOptions
	st   *store.Store
	m    *manager
	mux  *http.ServeMux
	cors map[string]bool
}

// newAPI opens the store and starts the manager.
func newAPI(o apiOptions) (*api, error) {
	if o.MaxRuns < 1 {
		o.MaxRuns = 1
	}
	if o.Queue < 0 {
		o.Queue = 0
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	st, err := store.Open(o.Store)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	m, err := newManager(st, o)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("api: %w", err)
	}
	a := &api{opt: o, st: st, m: m, mux: http.NewServeMux(), cors: map[string]bool{}}
	for _, origin := range o.AllowOrigins {
		a.cors[origin] = true
	}
	a.routes()
	return a, nil
}

// Close stops the manager (runs in progress are checkpointed and marked
// interrupted) and closes the store.
func (a *api) Close() {
	a.m.shutdown()
	a.st.Close()
}

// mount serves /api/ from the API and everything else from static.
func (a *api) mount(static http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			a.ServeHTTP(w, r)
			return
		}
		static.ServeHTTP(w, r)
	})
}

func (a *api) routes() {
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
	a.shareRoutes() // POST /api/shares, GET and DELETE /api/shares/{id}: api_share.go
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Code: http.StatusNotFound, Msg: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	})
}

// ServeHTTP checks who is calling, answers CORS preflights for the
// allowed origins, bounds the body and dispatches.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	r.Body = http.MaxBytesReader(w, r.Body, a.opt.MaxBody)
	a.mux.ServeHTTP(w, r)
}

// admit applies the policy in the file comment; cross reports an allowed
// foreign origin, which gets CORS headers.
func (a *api) admit(r *http.Request) (cross bool, err error) {
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

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "version": apiVersion, "config_version": run.Version,
		"cores": runtime.NumCPU(), "backend": "cpu",
		"max_runs": a.opt.MaxRuns, "threads": a.opt.threads(), "queue": a.opt.Queue,
	})
}

// apiError is an error answer.
type apiError struct {
	Code   int    `json:"-"`
	Msg    string `json:"error"`
	Field  string `json:"field,omitempty"`
	Offset *int64 `json:"offset,omitempty"`
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
