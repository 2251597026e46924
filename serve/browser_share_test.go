package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"pada/core/run"
	"pada/serve/api"
	"pada/serve/store"
	"pada/ui"
)

// A published race in the browser, on `serve` and on the Worker: race,
// Publish, open the permalink in a fresh tab (the same τ lines, the same
// SVG of every chart and the same example pictures, no worker started,
// no trainer downloaded), the blog widget, the replay's delete box with
// a wrong and the right token, and shares that carry markup, are of
// another version or are malformed.

// countWorkers makes every later document of the tab count the Web
// Workers it starts in window.padaWorkers.
func countWorkers(ctx context.Context) error {
	return chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`window.padaWorkers = 0; { const W = window.Worker; ` +
			`window.Worker = function (...a) { window.padaWorkers++; return new W(...a); }; }`).Do(ctx)
		return err
	}))
}

// pageView is what the comparison reads off a page: each chart's SVG,
// each run's τ line, the summary, the data charts' example pictures
// (each one's source and alt text).
type pageView struct {
	Charts []struct{ ID, SVG string }
	Taus   []string
	Labels []string
	Sum    string
	Thumbs []string
}

func readView(t *testing.T, ctx context.Context) pageView {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`JSON.stringify({
		charts: [...document.querySelectorAll(".chart-box")].map(b => ({id: b.id, svg: (b.querySelector("svg.chart") || {}).outerHTML || ""})),
		taus: [...document.querySelectorAll(".run .tau")].map(e => e.textContent),
		labels: [...document.querySelectorAll(".run .run-head strong")].map(e => e.textContent),
		sum: (document.querySelector(".summary") || {}).textContent || "",
		thumbs: [...document.querySelectorAll(".thumbs img")].map(e => e.alt + " " + e.src)})`, &s)); err != nil {
		t.Fatal(err)
	}
	var v pageView
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func sameView(t *testing.T, what string, got, want pageView) {
	t.Helper()
	if len(want.Charts) == 0 || len(want.Taus) == 0 {
		t.Fatalf("%s: the original shows no charts or τ: %+v", what, want)
	}
	if len(got.Charts) != len(want.Charts) {
		t.Errorf("%s: %d charts, want %d", what, len(got.Charts), len(want.Charts))
	}
	for i := range min(len(got.Charts), len(want.Charts)) {
		g, w := got.Charts[i], want.Charts[i]
		if g.ID != w.ID || g.SVG != w.SVG || w.SVG == "" {
			t.Errorf("%s: chart %d (%s) differs from the original's (%s):\n got %.300s\nwant %.300s", what, i, g.ID, w.ID, g.SVG, w.SVG)
		}
	}
	if !slices.Equal(got.Taus, want.Taus) || !slices.Equal(got.Labels, want.Labels) || got.Sum != want.Sum {
		t.Errorf("%s: τ %q %q %q, want %q %q %q", what, got.Labels, got.Taus, got.Sum, want.Labels, want.Taus, want.Sum)
	}
	if !slices.Equal(got.Thumbs, want.Thumbs) {
		t.Errorf("%s: %d example pictures, want the original's %d (first %.120q, want %.120q)", what, len(got.Thumbs), len(want.Thumbs), first(got.Thumbs), first(want.Thumbs))
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// download is what a tab's document fetched, from the Performance API's
// resource entries: the requests for worker.wasm and for the dataset,
// and the bytes of every response body as sent (compressed; counted
// also when the browser's cache answered).
type download struct {
	Trainer, Data, Requests int
	Bytes                   float64
	List                    []string // each resource's path and bytes
}

func downloaded(t *testing.T, ctx context.Context) download {
	t.Helper()
	var d download
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const es = performance.getEntriesByType("resource");
		return {Trainer: es.filter(e => new URL(e.name).pathname.endsWith("/worker.wasm")).length,
			Data: es.filter(e => new URL(e.name).pathname.includes("/data/fashion16-")).length,
			Requests: es.length, Bytes: es.reduce((s, e) => s + e.encodedBodySize, 0),
			List: es.map(e => new URL(e.name).pathname + " " + e.encodedBodySize)}; })()`, &d)); err != nil {
		t.Fatal(err)
	}
	return d
}

// newTab opens a fresh tab in the test's browser that counts workers.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := countWorkers(tab); err != nil {
		t.Fatal(err)
	}
	return tab
}

func jsFloat(ctx context.Context, expr string) float64 {
	var f float64
	chromedp.Run(ctx, chromedp.Evaluate(expr, &f))
	return f
}

// click brings the tab to the front (a background tab does not render)
// and clicks sel.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Run(ctx, page.BringToFront()); err != nil {
		t.Fatal(err)
	}
	// A DOM click, not a synthesized mouse press: chromedp's Click waits
	// for the node to be visible at a point of a tab that may not be
	// laid out while another tab of the browser has been in front.
	var ok bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); if (!e) return false; e.click(); return true })()`, &ok)); err != nil || !ok {
		t.Fatalf("click %s: found %v, %v", sel, ok, err)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// openReplay loads a share link in tab and waits for the replay (or the
// message of a share that cannot be shown).
func openReplay(t *testing.T, tab context.Context, link string) {
	t.Helper()
	// Navigating to the link the tab already shows only moves to its
	// fragment: load a blank page first, so the link is opened afresh.
	if err := chromedp.Run(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	if err := chromedp.Run(tctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("open %s: %v", link, err)
	}
	// A poll that starts while the new document replaces the old one can
	// lose its execution context ("Cannot find context with specified
	// id"): poll again.
	for try := 0; ; try++ {
		err := chromedp.Run(tctx, chromedp.Poll(`window.padaReady === true`, nil, chromedp.WithPollingInterval(100*time.Millisecond)))
		if err == nil {
			break
		}
		if try < 3 && strings.Contains(err.Error(), "Cannot find context") {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		t.Fatalf("the replay page did not become ready: %v", err)
	}
	poll(t, tab, "the replay or its message", `document.querySelector(".share-banner .share-line") !== null || document.querySelector(".share-error") !== null`, 30*time.Second)
}

// published is a race the test published through the page.
type published struct {
	id, token, link string
	record          []byte // as the server returns it
	view            pageView
	publishMs       []float64 // page: Publish pressed to the answer shown
	replayMs        []float64 // page: the share fetched, validated and drawn
	page, replay    download  // what a normal page load and a replay fetched
}

// shareFlow races in the page at base, publishes the finished race,
// replays it in fresh tabs and deletes it; static (nil on the Worker)
// turns the share API into a static host's 404 while set.
func shareFlow(t *testing.T, ctx context.Context, base string, static *atomic.Bool) published {
	var p published
	if err := countWorkers(ctx); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, base+"/"+tinyRace)
	click(t, ctx, "#race")
	waitStats(t, ctx, "both runs done", 4*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	poll(t, ctx, "the Publish button", `document.querySelector("#publish") !== null`, 10*time.Second)
	orig := readView(t, ctx)
	p.view = orig
	if len(orig.Thumbs) == 0 {
		t.Fatalf("the race's data chart shows no example pictures: the replay's would not be compared")
	}
	p.page = downloaded(t, ctx)
	if p.page.Trainer != 1 || p.page.Data != 4 {
		t.Errorf("a normal page load fetched worker.wasm %d times and %d dataset files, want 1 and 4", p.page.Trainer, p.page.Data)
	}
	if static != nil {
		// A static host: the page says so, with no permalink.
		static.Store(true)
		click(t, ctx, "#publish")
		poll(t, ctx, "the static-host message", `((document.querySelector(".share-msg") || {}).textContent || "").includes("no share API")`, 20*time.Second)
		evalBool(t, ctx, "no permalink from a static host", `document.querySelector(".share-link") === null`)
		static.Store(false)
	}
	// Publish, delete with the token, publish again: each press timed.
	hc := &http.Client{Timeout: 30 * time.Second}
	for i := range 4 {
		chromedp.Run(ctx, chromedp.Evaluate(`window.padaPublishMs = undefined`, nil))
		click(t, ctx, "#publish")
		poll(t, ctx, "the permalink", `window.padaPublishMs !== undefined && (document.querySelector(".share-link") || {}).value !== undefined && document.querySelector(".share-link").value.includes("#share=")`, 30*time.Second)
		p.publishMs = append(p.publishMs, jsFloat(ctx, `window.padaPublishMs`))
		p.link = jsText(ctx, `document.querySelector(".share-link").value`)
		p.token = jsText(ctx, `document.querySelector(".share-token").textContent`)
		_, id, ok := strings.Cut(p.link, "#share=")
		if !ok || !run.ValidShareID(id) || !strings.HasPrefix(p.link, base+"/") || len(p.token) != 22 {
			t.Fatalf("permalink %q, token %q", p.link, p.token)
		}
		p.id = id
		if i == 3 {
			break
		}
		click(t, ctx, "#share-delete")
		poll(t, ctx, "the deletion", `((document.querySelector(".share-msg") || {}).textContent || "").startsWith("Deleted")`, 30*time.Second)
		if code := getCode(t, hc, base+"/api/shares/"+id); code != http.StatusNotFound {
			t.Fatalf("a deleted share answers %d", code)
		}
	}
	if embed := jsText(ctx, `(() => { document.querySelector("#copy-share-embed").click(); return document.querySelector(".copied").textContent; })()`); !strings.Contains(embed, "#embed=1&amp;share="+p.id) {
		t.Errorf("the share's embed code: %q", embed)
	}
	resp, err := hc.Get(base + "/api/shares/" + p.id)
	if err != nil {
		t.Fatal(err)
	}
	p.record, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("GET the share: %d, Last-Modified %q", resp.StatusCode, resp.Header.Get("Last-Modified"))
	}

	// The permalink in a fresh tab: the same τ and charts, at once, from
	// the record; no worker; read-only.
	tab := newTab(t, ctx)
	for range 5 {
		openReplay(t, tab, p.link)
		poll(t, tab, "the replay's time", `window.padaReplayMs !== undefined`, 10*time.Second)
		p.replayMs = append(p.replayMs, jsFloat(tab, `window.padaReplayMs`))
	}
	sameView(t, "the replay", readView(t, tab), orig)
	evalBool(t, tab, "no worker in a replay", `window.padaWorkers === 0`)
	p.replay = downloaded(t, tab)
	if p.replay.Trainer != 0 || p.replay.Data != 0 {
		t.Errorf("a replay fetched worker.wasm %d times and %d dataset files, want none", p.replay.Trainer, p.replay.Data)
	}
	evalBool(t, tab, "the replay is read-only", `getComputedStyle(document.querySelector("section.controls")).display === "none" && getComputedStyle(document.querySelector("#race")).display === "none" && document.querySelector("#publish") === null`)
	if line := jsText(tab, `document.querySelector(".share-line").textContent`); !strings.Contains(line, "published ") || !strings.Contains(line, "code ") || !strings.Contains(line, "kernels go-wasm/") {
		t.Errorf("banner %q: want the date, the code version and the kernels", line)
	}
	// Space does not start a race in a replay.
	if err := chromedp.Run(tab, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	evalBool(t, tab, "Space trains nothing in a replay", `window.padaWorkers === 0`)

	// The blog widget: the embedded layout, no overlay, no training.
	embed := newTab(t, ctx)
	openReplay(t, embed, base+"/#embed=1&share="+p.id)
	ev := readView(t, embed)
	if len(ev.Charts) != len(orig.Charts) || !slices.Equal(ev.Taus, orig.Taus) {
		t.Errorf("the widget: %d charts, τ %q; want %d and %q", len(ev.Charts), ev.Taus, len(orig.Charts), orig.Taus)
	}
	evalBool(t, embed, "the widget: compact, no overlay, no worker", `document.querySelector("#page").classList.contains("embed") && `+
		`(document.querySelector("#start-overlay") === null || getComputedStyle(document.querySelector("#start-overlay")).display === "none") && window.padaWorkers === 0`)
	evalBool(t, embed, "the widget's train it yourself opens the full page", `document.querySelector(".train-yourself").target === "_blank" && !document.querySelector(".train-yourself").href.includes("share=")`)
	if d := downloaded(t, embed); d.Trainer != 0 || d.Data != 0 {
		t.Errorf("the widget fetched worker.wasm %d times and %d dataset files, want none", d.Trainer, d.Data)
	}

	// Delete without a token and with a wrong one: the server's message,
	// and the share stays (the replay's delete box: checkDeleteBox).
	for _, tc := range []struct{ auth, want string }{{"", "needs its delete token"}, {"Bearer wrong-token", "wrong delete token"}} {
		req, _ := http.NewRequest("DELETE", base+"/api/shares/"+p.id, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), tc.want) {
			t.Errorf("DELETE with %q: %d %s", tc.auth, resp.StatusCode, body)
		}
		if code := getCode(t, hc, base+"/api/shares/"+p.id); code != 200 {
			t.Fatalf("after a delete with %q the share answers %d", tc.auth, code)
		}
	}
	// "Train it yourself" leaves the replay for a page with its settings.
	click(t, tab, ".share-banner .train-yourself")
	poll(t, tab, "the normal page with the race's settings", `document.querySelector(".share-banner") === null && `+
		`getComputedStyle(document.querySelector("section.controls")).display !== "none" && document.querySelector("input[name=epochs]").value === "2" && !location.hash.includes("share=")`, 20*time.Second)
	evalBool(t, tab, "no worker before Race is pressed", `window.padaWorkers === 0`)
	// Race there: the trainer is fetched now, once, and the race runs.
	click(t, tab, "#race")
	waitStats(t, tab, "the race after train it yourself", 4*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	if d := downloaded(t, tab); d.Trainer != 1 || d.Data != 4 {
		t.Errorf("racing after a replay fetched worker.wasm %d times and %d dataset files, want 1 and 4", d.Trainer, d.Data)
	}
	evalBool(t, tab, "two workers raced", `window.padaWorkers === 2`)
	return p
}

// checkDeleteBox publishes record and deletes it from its replay's
// delete box: a wrong token gets the server's message and the share
// stays; the right one deletes it, and the link then says so.
// postShare publishes record through the share API at base, as the
// page's Publish does, and fails the test unless it is created.
func postShare(t *testing.T, hc *http.Client, base string, record []byte, what string) ui.Published {
	t.Helper()
	resp, err := hc.Post(base+"/api/shares", "application/json", bytes.NewReader(record))
	if err != nil {
		t.Fatal(err)
	}
	var pub ui.Published
	json.NewDecoder(resp.Body).Decode(&pub)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("publishing %s: %d", what, resp.StatusCode)
	}
	return pub
}

func checkDeleteBox(t *testing.T, ctx context.Context, base string, record []byte) {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	pub := postShare(t, hc, base, record, "for the delete box")
	tab := newTab(t, ctx)
	link := base + "/#share=" + pub.ID
	openReplay(t, tab, link)
	if err := chromedp.Run(tab, chromedp.Evaluate(`document.querySelector(".share-delete").open = true`, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ token, want string }{
		{"", "Not deleted (HTTP 403): deleting a share needs its delete token"},
		{"wrong-token", "Not deleted (HTTP 403): wrong delete token"},
		{pub.Token, "Deleted: the permalink no longer opens this race."},
	} {
		// Each answer's message differs from the one before, which the
		// page shows until the new one arrives.
		if err := chromedp.Run(tab, typeInto(".share-delete input[name=share-token]", tc.token)); err != nil {
			t.Fatal(err)
		}
		click(t, tab, "#share-delete-token")
		poll(t, tab, fmt.Sprintf("the delete box's answer to %q", tc.token), `document.querySelector(".share-token-msg").textContent.startsWith(`+strconv.Quote(tc.want)+`)`, 30*time.Second)
		want := http.StatusOK
		if tc.token == pub.Token {
			want = http.StatusNotFound
		}
		if code := getCode(t, hc, base+"/api/shares/"+pub.ID); code != want {
			t.Fatalf("after the delete box with %q the share answers %d, want %d", tc.token, code, want)
		}
	}
	openReplay(t, tab, link)
	if msg := jsText(tab, `document.querySelector(".share-error").textContent`); !strings.Contains(msg, "no such share") {
		t.Errorf("reloading the share deleted from its delete box: %q", msg)
	}
}

func getCode(t *testing.T, hc *http.Client, url string) int {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// hostileRecord puts markup into every free string field of a record.
func hostileRecord(t *testing.T, b []byte) []byte {
	t.Helper()
	rec, err := run.DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	const h = `<script>window.padaXSS=1</script><img src=x onerror="window.padaXSS=1"><b>bold</b>`
	rec.Title, rec.Code, rec.Settings = h, h, h+"&epochs=<img src=x onerror=alert(1)>"
	for i := range rec.Runs {
		rr := &rec.Runs[i]
		rr.Label, rr.Kernels = h, h
		for j := range rr.Events {
			e := &rr.Events[j]
			if e.Started != nil {
				e.Started.Backend = h
				e.Started.Classes = slices.Repeat([]string{h}, len(e.Started.Classes))
			}
			if e.Done != nil {
				for k := range e.Done.Baselines {
					e.Done.Baselines[k].Name = h
				}
			}
		}
		n := len(rr.Events)
		rr.Events = append(rr.Events[:n-1:n-1], run.Event{Type: run.TypeError, Time: rr.Events[n-1].Time, Error: h}, rr.Events[n-1])
	}
	out, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkHostile publishes a record with markup in every string and opens
// it: the markup shows as text and makes no element.
func checkHostile(t *testing.T, ctx context.Context, base string, record []byte) {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	pub := postShare(t, hc, base, hostileRecord(t, record), "the markup-carrying record")
	tab := newTab(t, ctx)
	openReplay(t, tab, base+"/#share="+pub.ID)
	time.Sleep(time.Second) // let an onerror fire, if one could
	evalBool(t, tab, "markup from a share makes no element", `window.padaXSS === undefined && document.querySelectorAll("#page script, #page img[src=x], #page b, [onerror]").length === 0`)
	evalBool(t, tab, "it shows as text", `document.querySelector(".share-title").textContent.startsWith("<script>") && `+
		`document.querySelector(".run .run-head strong").textContent.includes("<img src=x") && document.querySelector(".share-line").textContent.includes("<script>")`)
	evalBool(t, tab, "and is escaped in the charts", `document.querySelector("#chart-loss svg").outerHTML.includes("&lt;script&gt;")`)
	evalBool(t, tab, "train it yourself keeps only valid settings", `!document.querySelector(".train-yourself").href.includes("<") && !document.querySelector(".train-yourself").href.includes("%3C")`)
}

// TestBrowserShare: the whole flow on `serve`, a static host's answers,
// and shares that the store holds but this page cannot replay.
func TestBrowserShare(t *testing.T) {
	a, err := api.New(testOptions(filepath.Join(t.TempDir(), "runs.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	var static atomic.Bool
	ctx, base, logs := browserWith(t, 1366, 768, func(h http.Handler) http.Handler {
		m := a.Handler(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if static.Load() && strings.HasPrefix(r.URL.Path, "/api/shares") {
				http.NotFound(w, r) // what a static host answers
				return
			}
			m.ServeHTTP(w, r)
		})
	})
	p := shareFlow(t, ctx, base, &static)
	checkHostile(t, ctx, base, p.record)
	checkDeleteBox(t, ctx, base, p.record)

	// Shares this page cannot replay (a store written by other code), a
	// malformed id, a static host: a message in the page, no replay.
	put := func(rec string) string {
		sum := sha256.Sum256([]byte(rec))
		id := base64.RawURLEncoding.EncodeToString(sum[:16])
		if err := a.Store().PutShare(store.Share{ID: id, TokenHash: sha256.Sum256([]byte("t")), Created: time.Now(), Record: []byte(rec)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	tab := newTab(t, ctx)
	for _, tc := range []struct{ hash, want string }{
		{"#share=" + put(strings.Replace(string(p.record), `"version":1`, `"version":2`, 1)), "a version 2 record; this page replays version 1"},
		{"#share=" + put(`{"version":1,"space":"nb201","code":"x","runs":[{"label":"x"`), "malformed and cannot be shown"},
		{"#share=" + put(`{"version":1,"space":"nb201","code":"x","runs":[]}`), "malformed and cannot be shown: record: runs: 0 runs"},
		{"#share=AAAAAAAAAAAAAAAAAAAAAA", "no such share"},
		{"#share=<img>", "not a share id"},
	} {
		openReplay(t, tab, base+"/"+tc.hash)
		if msg := jsText(tab, `document.querySelector(".share-error").textContent`); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: message %q, want %q", tc.hash, msg, tc.want)
		}
		evalBool(t, tab, tc.hash+": no replay, a way out", `document.querySelector(".share-banner") === null && document.querySelector(".share-error a.train-yourself") !== null && window.padaWorkers === 0`)
	}
	static.Store(true)
	openReplay(t, tab, base+"/#share="+p.id)
	if msg := jsText(tab, `document.querySelector(".share-error").textContent`); !strings.Contains(msg, "no share API") {
		t.Errorf("a share link on a static host: %q", msg)
	}
	static.Store(false)
	// The owner deletes it: the permalink then says so.
	click(t, ctx, "#share-delete")
	poll(t, ctx, "the deletion", `((document.querySelector(".share-msg") || {}).textContent || "").startsWith("Deleted")`, 30*time.Second)
	openReplay(t, tab, p.link)
	if msg := jsText(tab, `document.querySelector(".share-error").textContent`); !strings.Contains(msg, "no such share") {
		t.Errorf("a deleted share's link: %q", msg)
	}
	reportShare(t, "serve", p)
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestBrowserShareEdge: the same flow on the Worker under wrangler dev,
// serving the built site as its static assets (skipped without
// edge/node_modules or node, unless PADA_REQUIRE_REFS).
func TestBrowserShareEdge(t *testing.T) {
	site := siteOrSkip(t)
	base := startEdge(t, site, 30)
	ctx, _, logs := browserOrSkip(t, 1366, 768)
	p := shareFlow(t, ctx, base, nil)
	checkHostile(t, ctx, base, p.record)
	checkDeleteBox(t, ctx, base, p.record)
	click(t, ctx, "#share-delete")
	poll(t, ctx, "the deletion", `((document.querySelector(".share-msg") || {}).textContent || "").startsWith("Deleted")`, 30*time.Second)
	tab := newTab(t, ctx)
	openReplay(t, tab, p.link)
	if msg := jsText(tab, `document.querySelector(".share-error").textContent`); !strings.Contains(msg, "no such share") {
		t.Errorf("a deleted share's link: %q", msg)
	}
	reportShare(t, "Worker", p)
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// reportShare logs the page's publish and replay times and the record's
// size; PADA_SHARE_OUT=FILE also saves the record.
func reportShare(t *testing.T, server string, p published) {
	t.Logf("%s: page publish median %.0f ms of %v; replay (fetch, validate, draw) median %.0f ms of %v; record %d bytes",
		server, median(p.publishMs), p.publishMs, median(p.replayMs), p.replayMs, len(p.record))
	t.Logf("%s: a normal page load fetched %d resources, %.0f bytes as sent (%s); a replay %d, %.0f bytes (%s)", server,
		p.page.Requests, p.page.Bytes, strings.Join(p.page.List, ", "), p.replay.Requests, p.replay.Bytes, strings.Join(p.replay.List, ", "))
	if f := os.Getenv("PADA_SHARE_OUT"); f != "" {
		os.WriteFile(f, p.record, 0o644)
	}
}

// TestShareScreenshots: the Publish dialog, a replay and the blog widget
// at 1366x768 and 390x844, light and dark, into $PADA_SCREENSHOTS
// (share-*.png; make screenshots does not run it: run it with -run).
func TestShareScreenshots(t *testing.T) {
	dir := os.Getenv("PADA_SCREENSHOTS")
	if dir == "" {
		t.Skip("PADA_SCREENSHOTS is not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := api.New(testOptions(filepath.Join(t.TempDir(), "runs.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	for _, tc := range []struct {
		w, h int64
		dark bool
	}{{1366, 768, false}, {390, 844, false}, {1366, 768, true}, {390, 844, true}} {
		name := fmt.Sprintf("%dx%d", tc.w, tc.h)
		if tc.dark {
			name += "-dark"
		}
		t.Run(name, func(t *testing.T) {
			ctx, base, logs := browserWith(t, tc.w, tc.h, a.Handler)
			if err := chromedp.Run(ctx, darkMedia(tc.dark)); err != nil {
				t.Fatal(err)
			}
			shot := func(ctx context.Context, step string, full bool) {
				t.Helper()
				time.Sleep(400 * time.Millisecond)
				var b []byte
				act := chromedp.CaptureScreenshot(&b)
				if full {
					act = chromedp.FullScreenshot(&b, 100) // 100: PNG
				}
				if err := chromedp.Run(ctx, page.BringToFront(), act); err != nil {
					t.Fatal(err)
				}
				p := fmt.Sprintf("%s/share-%s-%s.png", dir, step, name)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", p)
			}
			openPage(t, ctx, base+"/"+tinyRace)
			click(t, ctx, "#race")
			waitStats(t, ctx, "both runs done", 4*time.Minute, func(s []ui.RunStats) bool {
				return all(s, 2, func(r ui.RunStats) bool { return r.Done })
			})
			poll(t, ctx, "the Publish button", `document.querySelector("#publish") !== null`, 10*time.Second)
			click(t, ctx, "#publish")
			poll(t, ctx, "the permalink", `(document.querySelector(".share-link") || {}).value !== undefined`, 30*time.Second)
			if err := chromedp.Run(ctx, chromedp.ScrollIntoView(".publish", chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			shot(ctx, "0-publish", false)
			link := jsText(ctx, `document.querySelector(".share-link").value`)
			_, id, _ := strings.Cut(link, "#share=")
			// A new tab has the window's size, which headless Chromium
			// keeps at 500 px or more: each tab emulates the viewport.
			tab := newTab(t, ctx)
			if err := chromedp.Run(tab, chromedp.EmulateViewport(tc.w, tc.h), darkMedia(tc.dark)); err != nil {
				t.Fatal(err)
			}
			openReplay(t, tab, link)
			shot(tab, "1-replay", false)
			shot(tab, "2-replay-full", true)
			embed := newTab(t, ctx)
			if err := chromedp.Run(embed, chromedp.EmulateViewport(tc.w, tc.h), darkMedia(tc.dark)); err != nil {
				t.Fatal(err)
			}
			openReplay(t, embed, base+"/#embed=1&share="+id)
			shot(embed, "3-widget-full", true)
			if msgs := logs.all(); len(msgs) > 0 {
				t.Errorf("console errors: %q", msgs)
			}
		})
	}
}

// TestShareTypical races the page's default race (its defaults, in the
// tab), publishes it on `serve` and reports the record's size (and
// gzipped), the publish time and a replay's time and download, for the
// README. Set PADA_SHARE_TYPICAL=1 (several minutes); PADA_SHARE_OUT=FILE
// saves the record.
func TestShareTypical(t *testing.T) {
	if os.Getenv("PADA_SHARE_TYPICAL") == "" {
		t.Skip("PADA_SHARE_TYPICAL is not set")
	}
	a, err := api.New(testOptions(filepath.Join(t.TempDir(), "runs.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	ctx, base, _ := browserWith(t, 1366, 768, a.Handler)
	openPage(t, ctx, base+"/")
	click(t, ctx, "#race")
	waitStats(t, ctx, "the default race done", 20*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	poll(t, ctx, "the Publish button", `document.querySelector("#publish") !== null`, 10*time.Second)
	var p published
	p.page = downloaded(t, ctx)
	click(t, ctx, "#publish")
	poll(t, ctx, "the permalink", `window.padaPublishMs !== undefined && (document.querySelector(".share-link") || {}).value !== undefined`, 30*time.Second)
	p.publishMs = []float64{jsFloat(ctx, `window.padaPublishMs`)}
	p.link = jsText(ctx, `document.querySelector(".share-link").value`)
	_, p.id, _ = strings.Cut(p.link, "#share=")
	resp, err := http.Get(base + "/api/shares/" + p.id)
	if err != nil {
		t.Fatal(err)
	}
	p.record, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	rec, err := run.DecodeRecord(p.record)
	if err != nil {
		t.Fatal(err)
	}
	events, examples := 0, 0
	for _, rr := range rec.Runs {
		events += len(rr.Events)
		if rr.Examples != nil {
			examples += len(rr.Examples.Items)
		}
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(p.record)
	zw.Close()
	tab := newTab(t, ctx)
	for range 3 {
		openReplay(t, tab, p.link)
		poll(t, tab, "the replay's time", `window.padaReplayMs !== undefined`, 10*time.Second)
		p.replayMs = append(p.replayMs, jsFloat(tab, `window.padaReplayMs`))
	}
	p.replay = downloaded(t, tab)
	t.Logf("the default race's record: %d runs, %d events, %d examples, %d bytes (%d gzipped)", len(rec.Runs), events, examples, len(p.record), gz.Len())
	reportShare(t, "serve", p)
}
