//go:build js && wasm

package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"pada/core/run"
	"pada/core/space"
)

// race is the browser side of a race: one Web Worker per run, booted
// from the WebAssembly.Module and dataset that public/app.js loaded once.
type race struct {
	gen     int
	workers []js.Value
	funcs   []js.Func

	// A race on the native server: one run id and EventSource per run.
	native  bool
	ids     []string
	sources []js.Value

	weightNames []string // the file name of each run's weights export
}

var global = js.Global()

func (rc *race) setHash(h string) {
	if h != "" {
		h = "#" + h
	} else {
		h = global.Get("location").Get("pathname").String()
	}
	global.Get("history").Call("replaceState", nil, "", h)
}

// Start is called once the page is mounted: it re-renders at most four
// times a second while workers report, so that a flood of batches does
// not starve the workers of the CPU.
func (c *Root) Start() {
	c.Truths = map[string]bool{}
	if ts := global.Get("padaTruths"); ts.Type() == js.TypeObject {
		for _, name := range space.Names() {
			c.Truths[name] = ts.Get(name).Type() == js.TypeString
		}
	}
	if n := global.Get("navigator").Get("hardwareConcurrency"); n.Type() == js.TypeNumber {
		c.Record.Cores = n.Int()
	}
	c.crashHook()
	c.listen()
	c.race.probe(c)
	c.startShares() // share_js.go
	if c.State.Auto {
		c.env.Lock()
		c.Race()
		c.env.UnlockRender()
	}
	go func() {
		for range time.Tick(250 * time.Millisecond) {
			c.mu.Lock()
			d := c.dirty
			c.dirty = false
			c.mu.Unlock()
			if d {
				c.env.Lock()
				c.env.UnlockRender()
			}
			c.publishStats()
		}
	}()
}

func (rc *race) start(c *Root, cfgs []run.Config) {
	rc.gen++
	gen := rc.gen
	rc.native = c.UseNative()
	if rc.native {
		rc.startNative(c, cfgs, gen)
		return
	}
	if global.Get("padaWorkerModule").Type() != js.TypeObject && global.Get("padaLoadTrainer").Type() == js.TypeFunction {
		// A page opened from a share link loaded no trainer: fetch it
		// now (public/app.js), then start the workers unless the race
		// was reset meanwhile.
		go func() {
			_, err := await(global.Call("padaLoadTrainer"))
			c.env.Lock()
			defer c.env.UnlockRender()
			switch {
			case gen != rc.gen:
			case err != nil:
				for _, r := range c.Runs {
					r.Status, r.Err = StatusError, "the trainer could not be loaded: "+err.Error()
				}
			default:
				rc.startWorkers(c, cfgs, gen)
			}
		}()
		return
	}
	rc.startWorkers(c, cfgs, gen)
}

// startWorkers starts one Web Worker per config from the trainer module
// and dataset that public/app.js loaded.
func (rc *race) startWorkers(c *Root, cfgs []run.Config, gen int) {
	module := global.Get("padaWorkerModule")
	dataset := global.Get("padaData")
	truths := global.Get("padaTruths") // app.js: each space's table by name
	for i, cfg := range cfgs {
		r := c.Runs[i]
		w := global.Get("Worker").New("worker.js")
		onMsg := js.FuncOf(func(_ js.Value, args []js.Value) any {
			d := args[0].Get("data")
			m := message{typ: d.Get("type").String(), at: global.Get("performance").Call("now").Float() / 1000}
			switch m.typ {
			case "batch":
				m.text = d.Get("json").String()
			case "error":
				m.text = d.Get("error").String()
				if f := d.Get("field"); f.Type() == js.TypeString {
					m.field = f.String()
				}
			case "state":
				m.text = d.Get("state").String()
			case "exit":
				m.text = fmt.Sprint(d.Get("code").Int())
			case "weights":
				// Saved here, in the callback: the buffer is the worker's
				// .npz, transferred.
				name := "weights.npz"
				if i < len(rc.weightNames) && rc.weightNames[i] != "" {
					name = rc.weightNames[i]
				}
				global.Call("padaDownload", name, "application/octet-stream", d.Get("npz"))
				m.text = "saved " + name
			case "weights-error":
				m.text = d.Get("error").String()
			}
			go c.receive(gen, r, m)
			return nil
		})
		onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
			m := message{typ: "error", text: "worker failed: " + args[0].Get("message").String()}
			go c.receive(gen, r, m)
			return nil
		})
		w.Set("onmessage", onMsg)
		w.Set("onerror", onErr)
		rc.workers = append(rc.workers, w)
		rc.funcs = append(rc.funcs, onMsg, onErr)
		w.Call("postMessage", map[string]any{"type": "init", "module": module})
		files := global.Get("Object").New()
		transfer := global.Get("Array").New()
		if dataset.Type() == js.TypeObject {
			keys := global.Get("Object").Call("keys", dataset)
			for k := 0; k < keys.Length(); k++ {
				name := keys.Index(k).String()
				cp := dataset.Get(name).Call("slice", 0) // each worker gets its own copy, transferred
				files.Set(name, cp)
				transfer.Call("push", cp)
			}
		}
		text, _ := json.Marshal(cfg)
		start := map[string]any{"type": "start", "config": string(text), "data": files}
		if truths.Type() == js.TypeObject {
			name := cfg.Space
			if name == "" {
				name = run.DefaultSpace
			}
			if truth := truths.Get(name); truth.Type() == js.TypeString {
				start["truth"] = truth
			}
		}
		w.Call("postMessage", js.ValueOf(start), transfer)
	}
}

type message struct {
	typ, text, field string
	at               float64 // page seconds
}

// receive applies a worker's message; it runs on its own goroutine,
// never inside the JS callback.
func (c *Root) receive(gen int, r *Run, m message) {
	c.env.Lock()
	defer func() {
		c.env.UnlockOnly()
		c.mu.Lock()
		c.dirty = true
		c.mu.Unlock()
	}()
	if gen != c.race.gen {
		return // a message from a race that was reset
	}
	switch m.typ {
	case "batch":
		hadStep := r.Step != nil
		if err := r.ApplyBatch(m.text); err != nil {
			r.Status, r.Err = StatusError, "bad message from the worker: "+err.Error()
		}
		if !hadStep && r.Step != nil {
			r.FirstStep = m.at
		}
		if r.Done != nil {
			c.recordSeed(gen) // a row of the seeds table once every run is done
		}
	case "error":
		r.Status, r.Err, r.Field = StatusError, m.text, m.field
	case "state":
		switch m.text {
		case "paused":
			if r.Status != StatusDone && r.Status != StatusError {
				r.Status = StatusPaused
			}
		case "running":
			if r.Status == StatusPaused || r.Status == StatusLoading {
				r.Status = StatusRunning
				if len(r.Ranked) > 0 {
					r.Status = StatusRanking
				}
			}
		}
	case "weights":
		r.Weights = m.text
	case "weights-error":
		r.Weights = "the weights could not be written: " + m.text
	case "created":
		r.NativeID = m.text
	case "exit":
		if r.Status != StatusDone && r.Status != StatusError && r.Status != StatusStopped {
			r.Status, r.Err = StatusError, "the worker exited (code "+m.text+")"
		}
	case "ended": // a native run's stream ended without done
		switch m.text {
		case "stopped":
			if r.Status != StatusDone && r.Status != StatusError {
				r.Status = StatusStopped
			}
		default:
			if r.Status != StatusDone && r.Status != StatusError {
				r.Status, r.Err = StatusError, "the native run ended: "+m.text
			}
		}
	}
}

// crashHook installs window.padaCrashRun(i), which makes run i's worker
// die (see the worker's "crash" message): the tests use it to check that
// a lost worker shows an error for its run and leaves the others running.
func (c *Root) crashHook() {
	global.Set("padaCrashRun", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 1 {
			if i := args[0].Int(); i >= 0 && i < len(c.race.workers) {
				c.race.workers[i].Call("postMessage", map[string]any{"type": "crash"})
			}
		}
		return nil
	}))
}

func (rc *race) send(typ string) {
	for _, w := range rc.workers {
		w.Call("postMessage", map[string]any{"type": typ})
	}
	if rc.native && typ != "step" {
		for _, id := range rc.ids {
			if id != "" {
				go post("api/runs/"+id+"/"+typ, "")
			}
		}
	}
}

func (rc *race) stop() {
	for _, w := range rc.workers {
		w.Call("terminate")
	}
	if rc.native {
		for _, id := range rc.ids {
			if id != "" {
				go post("api/runs/"+id+"/stop", "")
			}
		}
	}
	for _, es := range rc.sources {
		es.Call("close")
	}
	for _, f := range rc.funcs {
		f.Release()
	}
	rc.workers, rc.funcs, rc.ids, rc.sources, rc.weightNames = nil, nil, nil, nil, nil
	rc.gen++
}

// probe asks the native server behind the page for /api/health and
// records the answer in c.Native.
func (rc *race) probe(c *Root) {
	go func() {
		var n NativeInfo
		n.Checked = true
		code, body, err := fetchText("api/health", nil)
		var h struct {
			OK      bool   `json:"ok"`
			Cores   int    `json:"cores"`
			Backend string `json:"backend"`
		}
		switch {
		case err != nil:
			n.Err = err.Error()
		case code != 200:
			n.Err = fmt.Sprintf("HTTP %d", code)
		case json.Unmarshal([]byte(body), &h) != nil || !h.OK:
			n.Err = "it did not answer as a PA&DA server"
		default:
			n.OK, n.Cores, n.Backend = true, h.Cores, h.Backend
		}
		c.env.Lock()
		c.Native = n
		c.env.UnlockRender()
	}()
}

// startNative creates one run per config on the native server and
// follows each one's event stream. The events are the run protocol's, so
// they go through the same receive path as a worker's batches.
func (rc *race) startNative(c *Root, cfgs []run.Config, gen int) {
	rc.ids = make([]string, len(cfgs))
	rc.sources = make([]js.Value, len(cfgs))
	for i, cfg := range cfgs {
		r := c.Runs[i]
		body, _ := json.Marshal(cfg)
		go func() {
			code, text, err := post("api/runs", string(body))
			if err == nil && code != 201 && code != 200 {
				var e struct {
					Error string `json:"error"`
					Field string `json:"field"`
				}
				json.Unmarshal([]byte(text), &e)
				if e.Error == "" {
					e.Error = text
				}
				c.receive(gen, r, message{typ: "error", text: fmt.Sprintf("native server: HTTP %d: %s", code, e.Error), field: e.Field})
				return
			}
			var created struct {
				ID string `json:"id"`
			}
			if err == nil {
				err = json.Unmarshal([]byte(text), &created)
			}
			if err != nil || created.ID == "" {
				c.receive(gen, r, message{typ: "error", text: fmt.Sprintf("native server: could not create the run: %v", err)})
				return
			}
			if gen != rc.gen {
				go post("api/runs/"+created.ID+"/stop", "")
				return
			}
			rc.ids[i] = created.ID
			c.receive(gen, r, message{typ: "created", text: created.ID})
			rc.follow(c, r, i, created.ID, gen)
		}()
	}
}

// follow opens the EventSource of run id.
func (rc *race) follow(c *Root, r *Run, i int, id string, gen int) {
	es := global.Get("EventSource").New("api/runs/" + id + "/events")
	now := func() float64 { return global.Get("performance").Call("now").Float() / 1000 }
	seen := map[int]bool{} // examples whose thumbnails were asked for
	onData := js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("data").String()
		text := `{"events":[` + data + `]}`
		go func() {
			c.receive(gen, r, message{typ: "batch", text: text, at: now()})
			rc.fetchThumbs(c, r, id, data, seen, gen)
		}()
		return nil
	})
	onState := js.FuncOf(func(_ js.Value, args []js.Value) any {
		var st struct {
			State string `json:"state"`
		}
		json.Unmarshal([]byte(args[0].Get("data").String()), &st)
		go c.receive(gen, r, message{typ: "state", text: st.State, at: now()})
		return nil
	})
	onEnd := js.FuncOf(func(_ js.Value, args []js.Value) any {
		es.Call("close")
		var st struct {
			State string `json:"state"`
		}
		json.Unmarshal([]byte(args[0].Get("data").String()), &st)
		if st.State != "done" {
			go c.receive(gen, r, message{typ: "ended", text: st.State, at: now()})
		}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if es.Get("readyState").Int() == 2 { // CLOSED: the browser gave up reconnecting
			go c.receive(gen, r, message{typ: "error", text: "lost the native server's event stream"})
		}
		return nil
	})
	es.Set("onmessage", onData)
	es.Call("addEventListener", "state", onState)
	es.Call("addEventListener", "end", onEnd)
	es.Set("onerror", onErr)
	rc.sources[i] = es
	rc.funcs = append(rc.funcs, onData, onState, onEnd, onErr)
}

// fetchThumbs asks the server for the pixels of the examples an epoch
// event names that this run has not shown yet: a worker sends them with
// its batches, the server on request.
func (rc *race) fetchThumbs(c *Root, r *Run, id, event string, seen map[int]bool, gen int) {
	var e run.Event
	if json.Unmarshal([]byte(event), &e) != nil || e.Epoch == nil || e.Epoch.Data == nil {
		return
	}
	var ids []string
	for _, x := range append(append([]int(nil), e.Epoch.Data.Top...), e.Epoch.Data.Bottom...) {
		if !seen[x] {
			seen[x] = true
			ids = append(ids, fmt.Sprint(x))
		}
	}
	if len(ids) == 0 {
		return
	}
	code, text, err := fetchText("api/runs/"+id+"/thumbs?ids="+strings.Join(ids, ","), nil)
	if err != nil || code != 200 {
		return // the view then shows ids without pictures
	}
	c.receive(gen, r, message{typ: "batch", text: text})
}

// post sends a same-origin POST with a JSON body ("" for none).
func post(url, body string) (int, string, error) {
	opts := map[string]any{"method": "POST"}
	if body != "" {
		opts["body"] = body
		opts["headers"] = map[string]any{"Content-Type": "application/json"}
	}
	return fetchText(url, opts)
}

// fetchText runs fetch(url, opts) and returns the status and body text.
// It blocks its goroutine, never the JS event loop.
func fetchText(url string, opts map[string]any) (int, string, error) {
	args := []any{url}
	if opts != nil {
		args = append(args, js.ValueOf(opts))
	}
	resp, err := await(global.Call("fetch", args...))
	if err != nil {
		return 0, "", err
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return 0, "", err
	}
	return resp.Get("status").Int(), text.String(), nil
}

// await waits for a JS promise.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "failed"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			} else {
				msg = args[0].Call("toString").String()
			}
		}
		ch <- result{err: fmt.Errorf("%s", msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

// publishStats mirrors the runs' numbers into window.padaStats (JSON) for
// tests and measurements.
func (c *Root) publishStats() {
	c.env.RLock()
	st := c.Stats()
	c.env.RUnlock()
	b, _ := json.Marshal(st)
	global.Set("padaStats", string(b))
}

// listen installs the page-wide handlers: keys (when no text field has
// the focus) and the URL hash (edited, or back and forward).
func (c *Root) listen() {
	update := func(f func()) {
		go func() {
			c.env.Lock()
			f()
			c.env.UnlockRender()
		}()
	}
	onKey := js.FuncOf(func(_ js.Value, args []js.Value) any {
		e := args[0]
		press := e.Get("type").String() == "keypress"
		if e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("altKey").Bool() {
			return nil
		}
		t := e.Get("target")
		tag := ""
		if t.Type() == js.TypeObject {
			if v := t.Get("tagName"); v.Type() == js.TypeString {
				tag = v.String()
			}
			if t.Get("isContentEditable").Truthy() {
				return nil
			}
		}
		key := e.Get("key").String()
		switch tag {
		case "INPUT", "TEXTAREA", "SELECT":
			return nil
		case "BUTTON", "SUMMARY", "A":
			if key == " " {
				return nil // Space presses the focused control itself
			}
		}
		switch key {
		case " ", "ArrowRight", "r", "R", "?":
			// Space's default (scrolling) may come with the keypress
			// that follows the keydown: refuse it there too.
			e.Call("preventDefault")
			if !press {
				update(func() { c.Key(key) })
			}
		}
		return nil
	})
	onHash := js.FuncOf(func(js.Value, []js.Value) any {
		h := global.Get("location").Get("hash").String()
		update(func() { c.HashChanged(h) })
		return nil
	})
	global.Get("document").Call("addEventListener", "keydown", onKey)
	global.Get("document").Call("addEventListener", "keypress", onKey)
	global.Call("addEventListener", "hashchange", onHash)
	global.Call("addEventListener", "popstate", onHash)
}

// pageURL is the page's address without its hash.
func (*race) pageURL() string {
	h := global.Get("location").Get("href").String()
	if i := strings.IndexByte(h, '#'); i >= 0 {
		h = h[:i]
	}
	return h
}

// copy starts writing text to the clipboard; false when the browser has
// no clipboard here (then the page shows the text to copy by hand).
func (*race) copy(text string) bool {
	cb := global.Get("navigator").Get("clipboard")
	if cb.Type() != js.TypeObject {
		return false
	}
	global.Set("padaCopied", text)
	var catch js.Func
	catch = js.FuncOf(func(js.Value, []js.Value) any {
		global.Call("padaCopyFailed", text)
		catch.Release()
		return nil
	})
	cb.Call("writeText", text).Call("catch", catch)
	return true
}

func (*race) download(name, mime, text string) { global.Call("padaDownload", name, mime, text) }

func (*race) downloadURL(url, name string) { global.Call("padaDownloadURL", url, name) }

func (*race) saveChart(id, name, format string) { global.Call("padaSaveChart", id, name, format) }

// askWeights asks run i's worker for its weights as .npz; the answer is
// saved as name when it comes (see start).
func (rc *race) askWeights(i int, name string) {
	if i >= len(rc.workers) {
		return
	}
	for len(rc.weightNames) <= i {
		rc.weightNames = append(rc.weightNames, "")
	}
	rc.weightNames[i] = name
	rc.workers[i].Call("postMessage", map[string]any{"type": "weights"})
}
