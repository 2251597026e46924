//go:build js && wasm

package ui

import (
	"strings"
	"syscall/js"
)

// The share API calls, same-origin and relative to the page, so that a
// page served under a path finds its own server's API. Each runs on its
// own goroutine and hands its Answer to the component under the lock.

// shareFetch runs fetch(url, opts) and returns what a share API call
// needs of the answer.
func shareFetch(url string, opts map[string]any) Answer {
	args := []any{url}
	if opts != nil {
		args = append(args, js.ValueOf(opts))
	}
	resp, err := await(global.Call("fetch", args...))
	if err != nil {
		return Answer{Err: err}
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return Answer{Err: err}
	}
	h := resp.Get("headers")
	mt := mediaType(h.Call("get", "Content-Type").String())
	date := h.Call("get", "Last-Modified")
	a := Answer{Code: resp.Get("status").Int(), Body: text.String(), JSON: mt == "application/json"}
	if date.Type() == js.TypeString {
		a.Date = date.String()
	}
	return a
}

// since is milliseconds since t0 (performance.now()).
func since(t0 float64) float64 { return global.Get("performance").Call("now").Float() - t0 }

func perfNow() float64 { return global.Get("performance").Call("now").Float() }

// locked runs f under the component's lock and renders.
func (c *Root) locked(f func()) {
	c.env.Lock()
	f()
	c.env.UnlockRender()
}

// probeShares asks whether this origin publishes (GET api/shares).
func (*race) probeShares(c *Root) {
	go func() {
		a := shareFetch("api/shares", map[string]any{"cache": "no-store"})
		c.locked(func() { c.SharesProbed(a) })
	}()
}

// loadShare fetches share id and replays it. window.padaReplayMs is how
// long the fetch, the validation and the first render took (for the
// tests and the README).
func (*race) loadShare(c *Root, id string) {
	go func() {
		t0 := perfNow()
		a := shareFetch("api/shares/"+id, map[string]any{"cache": "no-store"})
		c.locked(func() { c.ShareFetched(id, a) })
		global.Set("padaReplayMs", since(t0))
	}()
}

// publish POSTs the race's record; window.padaPublishMs is how long the
// answer took, shown.
func (*race) publish(c *Root, body string) {
	go func() {
		t0 := perfNow()
		a := shareFetch("api/shares", map[string]any{"method": "POST", "body": body,
			"headers": map[string]any{"Content-Type": "application/json"}})
		c.locked(func() { c.Published(a) })
		global.Set("padaPublishMs", since(t0))
	}()
}

// deleteShare deletes share id with token ("" sends no Authorization).
func (*race) deleteShare(c *Root, id, token string, replay bool) {
	go func() {
		opts := map[string]any{"method": "DELETE"}
		if token != "" {
			opts["headers"] = map[string]any{"Authorization": "Bearer " + token}
		}
		a := shareFetch("api/shares/"+id, opts)
		c.locked(func() { c.ShareDeleted(a, replay) })
	}()
}

// startShares is Start's share part: ask whether this origin publishes,
// and replay the share the link names.
func (c *Root) startShares() {
	c.race.probeShares(c)
	c.locked(c.followShare)
}

// trainerAsked is set once loadTrainer has asked for the trainer.
var trainerAsked bool

// loadTrainer starts fetching the trainer and the dataset that a page
// opened from a share link did not load (public/app.js), once the page
// leaves the replay, so that its first race waits less; a normal page
// has them already.
func (*race) loadTrainer() {
	if trainerAsked || global.Get("padaLoadTrainer").Type() != js.TypeFunction {
		return
	}
	trainerAsked = true
	go await(global.Call("padaLoadTrainer")) // an error shows when a race needs it
}

func mediaType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
