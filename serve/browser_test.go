package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"pada/serve/api"
	"pada/serve/site"
	"pada/ui"
)

const chromium = "/usr/bin/chromium"

// browserOrSkip starts headless Chromium on the built site; it skips
// when Chromium is missing unless PADA_REQUIRE_REFS is set.
func browserOrSkip(t *testing.T, w, h int64) (context.Context, string, *consoleLog) {
	t.Helper()
	return browserWith(t, w, h, nil)
}

// browserWith is browserOrSkip with the site's handler wrapped by wrap
// (nil: none), e.g. to mount the run API in front of it.
func browserWith(t *testing.T, w, h int64, wrap func(http.Handler) http.Handler) (context.Context, string, *consoleLog) {
	t.Helper()
	exe := chromium
	if _, err := os.Stat(exe); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			exe = p
		} else if os.Getenv("PADA_REQUIRE_REFS") != "" {
			t.Fatalf("chromium is missing (%s) and PADA_REQUIRE_REFS is set", chromium)
		} else {
			t.Skipf("chromium is missing (%s): skipping the browser test", chromium)
		}
	}
	dir := siteOrSkip(t)
	h2, err := site.Handler(dir)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		h2 = wrap(h2)
	}
	srv := httptest.NewServer(h2)
	t.Cleanup(srv.Close)
	profile, err := os.MkdirTemp("", "pada-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) }) // runs after the browser is gone
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(int(w), int(h)),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	logs := &consoleLog{}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				logs.add(string(e.Type) + ": " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			logs.add("exception: " + msg)
		}
	})
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatal(err)
	}
	return ctx, srv.URL, logs
}

type consoleLog struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleLog) add(s string) { c.mu.Lock(); c.msgs = append(c.msgs, s); c.mu.Unlock() }
func (c *consoleLog) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// openPage loads the page and waits until the app is mounted.
func openPage(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var ok bool
	if err := chromedp.Run(tctx, chromedp.Navigate(url),
		chromedp.Poll(`window.padaReady === true`, &ok, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("page did not become ready: %v", err)
	}
}

func stats(ctx context.Context) ([]ui.RunStats, error) {
	var s string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.padaStats || "[]"`, &s)); err != nil {
		return nil, err
	}
	var out []ui.RunStats
	return out, json.Unmarshal([]byte(s), &out)
}

// waitStats polls the runs' numbers until cond holds.
// A run that fails fails the test.
func waitStats(t *testing.T, ctx context.Context, what string, timeout time.Duration, cond func([]ui.RunStats) bool) []ui.RunStats {
	t.Helper()
	return pollStats(t, ctx, what, timeout, true, cond)
}

// pollStats is waitStats, optionally tolerating failed runs.
func pollStats(t *testing.T, ctx context.Context, what string, timeout time.Duration, failFast bool, cond func([]ui.RunStats) bool) []ui.RunStats {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []ui.RunStats
	for time.Now().Before(deadline) {
		s, err := stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last = s
		for _, r := range s {
			if failFast && r.Err != "" {
				t.Fatalf("waiting for %s: run %s failed: %s", what, r.Sampler, r.Err)
			}
		}
		if cond(s) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s; last stats %+v", timeout, what, last)
	return nil
}

func all(s []ui.RunStats, n int, f func(ui.RunStats) bool) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

// tinyRace is a race that finishes in seconds: 2 epochs of ~30 steps on
// 1,000 images, 5 architectures ranked on 100 images.
const tinyRace = "#runs=uniform,pada&epochs=2&train=1000&batch=32&archs=5&evalimages=100"

func TestBrowserRace(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	openPage(t, ctx, url+"/"+tinyRace)
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "step events in both runs", 60*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.StepEvents > 0 })
	})
	// Pause: both runs report paused, and their step counts stop.
	if err := chromedp.Run(ctx, chromedp.Click("#pause", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	before := waitStats(t, ctx, "both runs paused", 20*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Status == ui.StatusPaused || r.Done })
	})
	time.Sleep(1500 * time.Millisecond)
	after, err := stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if after[i].Steps != before[i].Steps || after[i].Ranked != before[i].Ranked {
			t.Errorf("run %s kept going while paused: %+v -> %+v", before[i].Sampler, before[i], after[i])
		}
	}
	// Step: one unit of work each.
	if err := chromedp.Run(ctx, chromedp.Click("#step", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	// Each run is compared with its own count: the two workers run at
	// different speeds, so they pause at different steps.
	waitStats(t, ctx, "a single step", 20*time.Second, func(s []ui.RunStats) bool {
		if len(s) != len(before) {
			return false
		}
		for i, r := range s {
			// A run paused while ranking steps through architectures.
			if !r.Done && r.Steps+r.Ranked <= before[i].Steps+before[i].Ranked {
				return false
			}
		}
		return true
	})
	// Resume, and the race runs to the end: epochs in both, then ranking.
	if err := chromedp.Run(ctx, chromedp.Click("#pause", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	end := waitStats(t, ctx, "both runs done", 4*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	for i, r := range end {
		if r.Epochs != 2 || r.Ranked != 5 {
			t.Errorf("run %s: %d epoch events, %d ranked; want 2 and 5", r.Sampler, r.Epochs, r.Ranked)
		}
		if r.Steps+r.Ranked <= after[i].Steps+after[i].Ranked {
			t.Errorf("run %s did not resume: %d steps, %d ranked", r.Sampler, r.Steps, r.Ranked)
		}
	}
	var tau string
	if err := chromedp.Run(ctx, chromedp.Text(`.run[data-sampler="pada"] .tau`, &tau, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tau, "τ") {
		t.Errorf("the PA&DA run shows %q, want a Kendall τ (or why there is none)", tau)
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestBrowserStopAndBadInput checks that a value out of range shows a
// message next to its control and starts nothing, that a malformed
// pasted config is refused the same way, that Stop ends a race, and
// that nothing logs a console error.
func TestBrowserStopAndBadInput(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	openPage(t, ctx, url+"/"+tinyRace)
	var msg string
	err := chromedp.Run(ctx,
		setControl(`input[name=epochs]`, "500"),
		chromedp.WaitVisible(`input[name=epochs] ~ .err`, chromedp.ByQuery),
		chromedp.Text(`input[name=epochs] ~ .err`, &msg, chromedp.ByQuery),
		chromedp.Click("#race", chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "from 1 to") {
		t.Errorf("epochs message %q", msg)
	}
	time.Sleep(500 * time.Millisecond)
	if s, _ := stats(ctx); len(s) != 0 {
		t.Errorf("a race started with a bad value: %+v", s)
	}
	var n int
	err = chromedp.Run(ctx,
		setControl(`input[name=epochs]`, "2"),
		chromedp.Click(`#show-config`, chromedp.ByQuery),
		chromedp.WaitVisible(`textarea[name=config]`, chromedp.ByQuery),
		setControl(`textarea[name=config]`, `{"version":1, "epochs": "ten"`),
		chromedp.WaitVisible(`textarea[name=config] ~ .err`, chromedp.ByQuery),
		chromedp.Text(`textarea[name=config] ~ .err`, &msg, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("input[name=epochs] ~ .err").length`, &n),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "config") || n != 0 {
		t.Errorf("pasted-config message %q, epochs messages %d", msg, n)
	}
	err = chromedp.Run(ctx,
		setControl(`textarea[name=config]`, ""),
		chromedp.Click("#race", chromedp.ByQuery))
	if err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "step events", 60*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.StepEvents > 0 })
	})
	if err := chromedp.Run(ctx, chromedp.Click("#stop", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "both runs stopped", 10*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Status == ui.StatusStopped || r.Done })
	})
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestBrowserFourRunsOneCrash races four samplers at once, kills one
// run's worker mid-training, and checks that the page shows an error for
// that run alone while the other three finish with a Kendall tau.
func TestBrowserFourRunsOneCrash(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	// Enough epochs that PA&DA is still training when the crash comes:
	// with the simd128 kernels a 2-epoch run could end before the slowest
	// worker's first step.
	const epochs = 12
	openPage(t, ctx, url+fmt.Sprintf("/#runs=uniform,pada,pa,fairnas&epochs=%d&train=1000&batch=32&archs=5&evalimages=100", epochs))
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	before := waitStats(t, ctx, "step events in all four runs", 90*time.Second, func(s []ui.RunStats) bool {
		return all(s, 4, func(r ui.RunStats) bool { return r.StepEvents > 0 })
	})
	if before[1].Done {
		t.Fatalf("PA&DA finished before the crash could be injected: %+v", before[1])
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.padaCrashRun(1)`, nil)); err != nil {
		t.Fatal(err)
	}
	end := pollStats(t, ctx, "three runs done and one failed", 4*time.Minute, false, func(s []ui.RunStats) bool {
		return len(s) == 4 && s[1].Status == ui.StatusError &&
			s[0].Done && s[2].Done && s[3].Done
	})
	if !strings.Contains(end[1].Err, "exited") && !strings.Contains(end[1].Err, "failed") {
		t.Errorf("the crashed run says %q; want it to say that its worker exited or failed", end[1].Err)
	}
	for _, i := range []int{0, 2, 3} {
		if end[i].Epochs != epochs || end[i].Ranked != 5 || end[i].Err != "" {
			t.Errorf("run %s: %d epochs, %d ranked, error %q; want %d, 5 and none", end[i].Sampler, end[i].Epochs, end[i].Ranked, end[i].Err, epochs)
		}
	}
	var msg string
	if err := chromedp.Run(ctx, chromedp.Text(`.run[data-sampler="pada"]`, &msg, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "exited") {
		t.Errorf("the crashed run's panel reads %q; want the error shown", msg)
	}
	// The crash itself may log to the console (the Go runtime prints the
	// panic); nothing else may.
	for _, m := range logs.all() {
		if !strings.Contains(m, "fault injection") && !strings.Contains(m, "exit code") && !strings.Contains(m, "goroutine") {
			t.Errorf("console error: %q", m)
		}
	}
}

// TestBrowserNative switches the page to the native server (the run API
// mounted in front of the site, as `go run ./serve` does) and races two
// runs there: their events stream into the same views, Kendall tau
// included, and the server's store holds both finished runs.
func TestBrowserNative(t *testing.T) {
	o := testOptions(filepath.Join(t.TempDir(), "runs.db"))
	o.MaxRuns = 2
	a, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	ctx, url, logs := browserWith(t, 1366, 768, a.Handler)
	openPage(t, ctx, url+"/#backend=native&runs=uniform,pada&epochs=2&train=1000&batch=32&archs=5&evalimages=100")
	var note string
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(tctx, chromedp.Poll(`document.querySelector(".backend-note").textContent.includes("ready")`, nil),
		chromedp.Text(".backend-note", &note, chromedp.ByQuery)); err != nil {
		t.Fatalf("the page did not find the native server: %v (note %q)", err, note)
	}
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	end := waitStats(t, ctx, "both native runs done", 3*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	for _, r := range end {
		if r.Epochs != 2 || r.Ranked != 5 || r.MemMB != 0 {
			t.Errorf("run %s: %d epochs, %d ranked, worker memory %.0f MB; want 2, 5 and no worker", r.Sampler, r.Epochs, r.Ranked, r.MemMB)
		}
	}
	res, err := http.Get(url + "/api/runs")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Runs []struct {
			State string `json:"state"`
		} `json:"runs"`
	}
	json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if len(list.Runs) != 2 || list.Runs[0].State != "done" || list.Runs[1].State != "done" {
		t.Errorf("the server's runs: %+v; want two done", list.Runs)
	}
	// The same exports as a tab run, from the server's store.
	dir := downloads(t, ctx)
	checkExports(t, ctx, dir, `.run[data-sampler="pada"]`, "pada-pada-seed0", 2, 5)
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestBrowserEmbed opens the page as a blog post's iframe would
// (#embed=1&autostart=1): no settings, the race starts by itself, and the
// race buttons stay so that a reader can pause or run it again.
func TestBrowserEmbed(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 800, 600)
	openPage(t, ctx, url+"/#embed=1&autostart=1&epochs=1&train=600&batch=32&archs=5&evalimages=100")
	var controls, race, lede bool
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector("section.controls") !== null`, &controls),
		chromedp.Evaluate(`document.querySelector("#race") !== null`, &race),
		chromedp.Evaluate(`(() => { const e = document.querySelector("header .lede"); return e !== null && getComputedStyle(e).display !== "none"; })()`, &lede),
	); err != nil {
		t.Fatal(err)
	}
	if controls || lede || !race {
		t.Errorf("embedded page: settings shown %v, introduction shown %v, race button %v; want false, false, true", controls, lede, race)
	}
	waitStats(t, ctx, "both runs done without a click", 3*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	if dir := os.Getenv("PADA_SCREENSHOTS"); dir != "" {
		var b []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&b, 100)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "4-embed-800x600.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A link with a bad value says what is wrong, since no control shows it.
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, url+"/#embed=1&autostart=1&archs=4")
	var note string
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := chromedp.Run(pctx, chromedp.Poll(`(() => { const e = document.querySelector(".buttons .note"); return e && e.textContent.includes("archs: ") ? e.textContent : false; })()`, &note))
	if err != nil || !strings.Contains(note, "archs: ") {
		t.Errorf("embedded page with archs=4 says %q; want the bad setting named", note)
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// setControl sets a control's value and fires its change event, as a
// user typing and leaving the field does.
func setControl(sel, value string) chromedp.Action {
	v, _ := json.Marshal(value)
	s, _ := json.Marshal(sel)
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s; e.dispatchEvent(new Event("change", {bubbles: true})); })()`, s, v), nil)
}

// TestScreenshots saves screenshots of a race in progress and finished at
// four screen sizes, in dark mode, and with large text into
// $PADA_SCREENSHOTS (make screenshots); TestBrowserEmbedFrame adds the
// page embedded in a 700 px blog column.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PADA_SCREENSHOTS")
	if dir == "" {
		t.Skip("PADA_SCREENSHOTS is not set (make screenshots sets it)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const race = "#epochs=3&train=1200&archs=30&evalimages=100"
	for _, tc := range []struct {
		w, h int64
		dark bool
		hash string
	}{
		{1366, 768, false, ""}, {1920, 1080, false, ""}, {768, 1024, false, ""}, {390, 844, false, ""},
		{1366, 768, true, ""}, {1366, 768, false, "&big=1"},
	} {
		name := fmt.Sprintf("%dx%d", tc.w, tc.h)
		if tc.dark {
			name += "-dark"
		}
		if tc.hash != "" {
			name += "-big"
		}
		t.Run(name, func(t *testing.T) {
			ctx, url, _ := browserOrSkip(t, tc.w, tc.h)
			if err := chromedp.Run(ctx, darkMedia(tc.dark)); err != nil {
				t.Fatal(err)
			}
			openPage(t, ctx, url+"/"+race+tc.hash)
			shot := func(step string, full bool) {
				var b []byte
				act := chromedp.CaptureScreenshot(&b)
				if full {
					act = chromedp.FullScreenshot(&b, 100) // 100: PNG
				}
				if err := chromedp.Run(ctx, act); err != nil {
					t.Fatal(err)
				}
				p := fmt.Sprintf("%s/%s-%s.png", dir, step, name)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", p)
			}
			shot("0-start", false)
			if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			waitStats(t, ctx, "two epochs", 5*time.Minute, func(s []ui.RunStats) bool {
				return all(s, 2, func(r ui.RunStats) bool { return r.Epochs >= 2 })
			})
			time.Sleep(time.Second)
			shot("1-during", false)
			waitStats(t, ctx, "both runs done", 5*time.Minute, func(s []ui.RunStats) bool {
				return all(s, 2, func(r ui.RunStats) bool { return r.Done })
			})
			time.Sleep(600 * time.Millisecond)
			shot("2-after", false)
			shot("3-after-full", true)
		})
	}
}

// TestMeasure runs the default race (the page's defaults, autostarted)
// and reports the numbers the README quotes. Set PADA_MEASURE=1.
func TestMeasure(t *testing.T) {
	if os.Getenv("PADA_MEASURE") == "" {
		t.Skip("PADA_MEASURE is not set")
	}
	hash := os.Getenv("PADA_MEASURE_HASH")
	if hash == "" {
		hash = "#autostart=1"
	}
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	t0 := time.Now()
	openPage(t, ctx, url+"/"+hash)
	var load float64
	chromedp.Run(ctx, chromedp.Evaluate(`window.padaLoadSeconds`, &load))
	first := waitStats(t, ctx, "first steps", 2*time.Minute, func(s []ui.RunStats) bool {
		return len(s) > 0 && all(s, len(s), func(r ui.RunStats) bool { return r.StepEvents > 0 })
	})
	for _, r := range first {
		t.Logf("%s: first step event at %.2fs after navigation start (downloads+compile %.2fs)", r.Sampler, r.FirstStep, load)
	}
	var peak float64
	end := waitStats(t, ctx, "both runs done", 30*time.Minute, func(s []ui.RunStats) bool {
		for _, r := range s {
			peak = max(peak, r.MemMB)
		}
		return all(s, len(s), func(r ui.RunStats) bool { return r.Done })
	})
	var trainS, rankS float64
	chromedp.Run(ctx, chromedp.Evaluate(`0`, nil))
	for _, r := range end {
		t.Logf("%s: %.1f images/s, worker memory %.0f MB, tau %.3f", r.Sampler, r.ImagesPerSecond, r.MemMB, r.Tau)
	}
	_ = trainS
	_ = rankS
	t.Logf("race wall time from page open to both results: %.1fs; peak worker memory %.0f MB", time.Since(t0).Seconds(), peak)
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}
