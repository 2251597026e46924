//go:build js && wasm

// Command worker is the Web Worker trainer: one Go instance per worker,
// one run per instance. public/worker.js boots it and hands it the page's
// messages (see package pada/wasm/msg for the protocol); it runs
// train.Session.Advance in a loop, yielding to the JS event loop between
// units of work so that pause, step and stop are seen at once, and posts
// the run's events in batches.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"errors"
	"syscall/js"

	"pada/core/checkpoint"
	"pada/core/data"
	"pada/core/gemm"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/train"
)

// flushEvery is how often pending events are posted while running.
const flushEvery = 200 * time.Millisecond

// command is one message from the page, copied out of JS.
type command struct {
	typ    string
	config string
	files  data.MemFS
	truth  string
}

// inbox is filled by the JS callback and drained by the run loop; the
// callback never blocks and never computes.
type inbox struct {
	mu     sync.Mutex
	queue  []command
	notify chan struct{}
}

func (b *inbox) put(c command) {
	b.mu.Lock()
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []command {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queue
	b.queue = nil
	return q
}

var self = js.Global()

func post(v map[string]any) { self.Call("postMessage", v) }

func postError(field, text string) {
	post(map[string]any{"type": "error", "field": field, "error": text})
}

func postState(s string) { post(map[string]any{"type": "state", "state": s}) }

// yielder hands control back to the JS event loop for one MessageChannel
// round trip (~0.2 ms): time.Sleep costs ~4 ms and runtime.Gosched does
// not yield to JS at all.
type yielder struct {
	port js.Value
	ch   chan struct{}
	fn   js.Func
}

func newYielder() *yielder {
	y := &yielder{ch: make(chan struct{}, 1)}
	mc := self.Get("MessageChannel").New()
	y.fn = js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case y.ch <- struct{}{}:
		default:
		}
		return nil
	})
	mc.Get("port1").Set("onmessage", y.fn)
	y.port = mc.Get("port2")
	return y
}

func (y *yielder) yield() {
	y.port.Call("postMessage", 0)
	<-y.ch
}

func main() {
	in := &inbox{notify: make(chan struct{}, 1)}
	handler := js.FuncOf(func(_ js.Value, args []js.Value) any {
		m := args[0]
		c := command{typ: m.Get("type").String()}
		if c.typ == "start" {
			c.config = jsString(m.Get("config"))
			c.truth = jsString(m.Get("truth"))
			c.files = data.MemFS{}
			if d := m.Get("data"); d.Type() == js.TypeObject {
				keys := self.Get("Object").Call("keys", d)
				for i := 0; i < keys.Length(); i++ {
					k := keys.Index(i).String()
					u8 := self.Get("Uint8Array").New(d.Get(k))
					b := make([]byte, u8.Length())
					js.CopyBytesToGo(b, u8)
					c.files[k] = b
				}
			}
		}
		in.put(c)
		return nil
	})
	self.Call("padaReady", handler)
	post(map[string]any{"type": "ready"})
	w := &worker{in: in, y: newYielder()}
	w.loop()
	postState("stopped")
	// The instance stays alive: a finished run's weights can still be
	// saved, and late messages are not errors.
	for {
		<-in.notify
		for _, c := range in.take() {
			if c.typ == "weights" {
				w.postWeights()
			}
		}
	}
}

func jsString(v js.Value) string {
	switch v.Type() {
	case js.TypeString:
		return v.String()
	case js.TypeObject:
		return self.Get("JSON").Call("stringify", v).String()
	}
	return ""
}

// worker is the state of the run loop.
type worker struct {
	in *inbox
	y  *yielder

	sess    *train.Session
	sets    train.Sets
	batch   int
	paused  bool
	pending []run.Event
	sent    map[int]bool // thumbnail ids already sent
	last    time.Time
	images  int
	busy    time.Duration

	lastArch space.Arch // the last path trained (from the step events), for the weights' probe
}

// loop runs until the run is done, stopped, or fails.
func (w *worker) loop() {
	defer func() {
		if r := recover(); r != nil {
			w.flush()
			postError("", fmt.Sprintf("the trainer crashed: %v\n%s", r, debug.Stack()))
		}
	}()
	for {
		for _, c := range w.in.take() {
			if !w.handle(c) {
				return
			}
		}
		if w.sess == nil || w.paused {
			<-w.in.notify
			continue
		}
		if !w.advance() {
			w.flush()
			postState("done")
			return
		}
		if time.Since(w.last) >= flushEvery {
			w.flush()
		}
		w.y.yield()
	}
}

// handle applies one command; false ends the run.
func (w *worker) handle(c command) bool {
	switch c.typ {
	case "start":
		if w.sess != nil {
			postError("", "this worker already runs a run; start another worker")
			return true
		}
		field, err := w.start(c)
		if err != nil {
			w.flush()
			postError(field, err.Error())
			return false
		}
		w.flush()
		postState("running")
	case "pause":
		w.paused = true
		w.flush()
		postState("paused")
	case "resume":
		w.paused = false
		postState("running")
	case "step":
		if w.sess == nil {
			return true
		}
		w.paused = true
		more := w.advance()
		w.flush()
		if !more {
			postState("done")
			return false
		}
		postState("paused")
	case "weights":
		w.postWeights()
	case "stop":
		w.flush()
		return false
	case "crash":
		// Fault injection for the page's tests: a panic outside the
		// loop's recover kills this Go instance as an out-of-memory or
		// runtime fault would, so the page must survive losing a worker.
		w.flush()
		go func() { panic("crash requested by the page (fault injection)") }()
		select {}
	}
	return true
}

func (w *worker) advance() bool {
	t0 := time.Now()
	training := !w.sess.Trainer().Done()
	more := w.sess.Advance()
	if training {
		w.images += w.batch
		w.busy += time.Since(t0)
	}
	return more
}

// tabBudget is the most memory a run in a tab may need (run.Estimate).
const tabBudget = 1536 << 20

// start builds the session; field names the config field at fault.
func (w *worker) start(c command) (field string, err error) {
	cfg, err := run.ParseConfig(strings.NewReader(c.config))
	if err != nil {
		var fe *run.FieldError
		if errors.As(err, &fe) {
			return fe.Field, err
		}
		return "config", err
	}
	if cfg.Data.Name != "fashion16" && cfg.Data.Name != "synthetic" {
		return "data.name", fmt.Errorf("data.name %q: the browser has only fashion16 and synthetic", cfg.Data.Name)
	}
	// A tab's wasm heap is 32-bit and a browser gives one tab less than
	// that: refuse what it cannot hold, naming the field, before
	// allocating any of it.
	if err := cfg.CheckBudget(tabBudget); err != nil {
		var fe *run.FieldError
		if errors.As(err, &fe) {
			return fe.Field, fmt.Errorf("%w (what one browser tab can hold; the native server takes more)", err)
		}
		return "config", err
	}
	trainFile, evalFile, err := train.LoadData(cfg, data.Source{Fashion16: data.MemFS(c.files)})
	if err != nil {
		return "data", err
	}
	truth := func() (*groundtruth.Table, error) {
		if cfg.Eval.Truth == "" {
			return nil, nil
		}
		if c.truth == "" {
			return nil, fmt.Errorf("eval.truth %q: no ground-truth table was sent to the worker", cfg.Eval.Truth)
		}
		return groundtruth.ReadAny(strings.NewReader(c.truth))
	}
	p, err := train.Prepare(cfg, train.Inputs{Train: trainFile, Eval: evalFile, Truth: truth,
		Backend: nn.NewCPU(1), BackendName: "go-wasm/" + gemm.Kernel() + " worker"})
	if err != nil {
		return run.FieldOf(err), err
	}
	w.sets = p.Sets
	w.batch = cfg.Shape.Batch
	w.sent = map[int]bool{}
	w.last = time.Now()
	w.sess, err = p.Start(func(e run.Event) {
		w.pending = append(w.pending, e)
		if e.Step != nil {
			for k, op := range e.Step.Ops {
				w.lastArch[k] = space.Op(op)
			}
		}
		if e.Type == run.TypeEpoch || e.Type == run.TypeDone {
			w.flush()
		}
	})
	if err != nil {
		return "", err
	}
	return "", nil
}

// postWeights posts the supernet's weights as .npz, under PyTorch
// state_dict keys, with a probe (a few training images through the last
// path trained) that `serve verify` recomputes. The probe runs between
// steps and each step clears the gradients first, so saving the weights
// does not change the run's numbers.
func (w *worker) postWeights() {
	if w.sess == nil {
		post(map[string]any{"type": "weights-error", "error": "no run has started in this worker"})
		return
	}
	net := w.sess.Trainer().Net()
	s := net.Shape()
	n := min(8, s.Batch, w.sets.Train.Len())
	var p *checkpoint.Probe
	if n > 0 {
		x := make([]float32, s.Batch*s.InC*s.H*s.W)
		y := make([]int32, s.Batch)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		w.sets.Train.Batch(x, y, idx, false, nil)
		p = checkpoint.NewProbe(net, x, y, n, w.lastArch)
	}
	var buf bytes.Buffer
	if err := checkpoint.Write(&buf, net, p); err != nil {
		post(map[string]any{"type": "weights-error", "error": err.Error()})
		return
	}
	u8 := self.Get("Uint8Array").New(buf.Len())
	js.CopyBytesToJS(u8, buf.Bytes())
	ab := u8.Get("buffer")
	self.Call("postMessage", map[string]any{"type": "weights", "npz": ab}, []any{ab})
}

// flush posts the pending events as one message of JSON text.
func (w *worker) flush() {
	w.last = time.Now()
	b := run.Batch{Events: w.pending, Images: w.images, Busy: w.busy.Seconds()}
	if f := self.Get("padaMem"); f.Type() == js.TypeFunction {
		b.Mem = int64(f.Invoke().Float())
	}
	if n, ok := w.sets.Train.(*data.Normalized); ok {
		for _, e := range w.pending {
			if e.Epoch == nil || e.Epoch.Data == nil {
				continue
			}
			for _, id := range append(append([]int(nil), e.Epoch.Data.Top...), e.Epoch.Data.Bottom...) {
				if w.sent[id] || id >= n.Set.N {
					continue
				}
				if b.Thumbs == nil {
					b.Thumbs, b.Labels = map[int][]byte{}, map[int]int{}
					b.C, b.H, b.W = n.Set.C, n.Set.H, n.Set.W
				}
				w.sent[id] = true
				b.Thumbs[id] = n.Set.Image(id)
				b.Labels[id] = int(n.Set.Labels[id])
			}
		}
	}
	text, err := json.Marshal(b)
	if err != nil {
		// A NaN or Inf somewhere: send the events one by one, replacing
		// the ones that cannot be encoded by an error event.
		for i, e := range b.Events {
			if _, err := json.Marshal(e); err != nil {
				b.Events[i] = run.Event{Type: run.TypeError, Time: e.Time, Error: fmt.Sprintf("%s event not encodable: %v", e.Type, err)}
			}
		}
		text, err = json.Marshal(b)
		if err != nil {
			postError("", err.Error())
			return
		}
	}
	w.pending = w.pending[:0]
	post(map[string]any{"type": "batch", "json": string(text)})
}
