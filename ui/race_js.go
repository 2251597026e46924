//go:build js && wasm

package ui

import (
	"encoding/json"
	"fmt"
	"syscall/js"
	"time"

	"pada/core/run"
)

// race is the browser side of a race: one Web Worker per run, booted
// from the WebAssembly.Module and dataset that public/app.js loaded once.
type race struct {
	gen     int
	workers []js.Value
	funcs   []js.Func
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
	c.HaveTruth = global.Get("padaTruth").Type() == js.TypeString
	c.crashHook()
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
	module := global.Get("padaWorkerModule")
	dataset := global.Get("padaData")
	truth := global.Get("padaTruth")
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
		if truth.Type() == js.TypeString {
			start["truth"] = truth
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
	case "exit":
		if r.Status != StatusDone && r.Status != StatusError && r.Status != StatusStopped {
			r.Status, r.Err = StatusError, "the worker exited (code "+m.text+")"
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
}

func (rc *race) stop() {
	for _, w := range rc.workers {
		w.Call("terminate")
	}
	for _, f := range rc.funcs {
		f.Release()
	}
	rc.workers, rc.funcs = nil, nil
	rc.gen++
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
