package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pada/ui"
)

// evalBool evaluates a JS expression that must be true, naming what in
// the failure.
func evalBool(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	var ok bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !ok {
		t.Errorf("%s: false: %s", what, expr)
	}
}

// poll waits until a JS expression is true.
func poll(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Run(tctx, chromedp.Poll(expr, nil, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
		var s string
		chromedp.Run(ctx, chromedp.Evaluate(`document.body.innerText.slice(0, 600)`, &s))
		t.Fatalf("waiting for %s (%s): %v; page: %q", what, expr, err, s)
	}
}

// typeInto sets a control's text and fires input, as each keystroke does.
func typeInto(sel, value string) chromedp.Action {
	v, _ := json.Marshal(value)
	s, _ := json.Marshal(sel)
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s; e.dispatchEvent(new Event("input", {bubbles: true})); })()`, s, v), nil)
}

func jsText(ctx context.Context, expr string) string {
	var s string
	chromedp.Run(ctx, chromedp.Evaluate(expr, &s))
	return s
}

// TestBrowserControls: a value out of range stays in its field next to a
// message naming the field and the range, and the message goes as soon as
// the value is valid; a bad pasted config stays in the box; a partial one
// is merged with the settings; Race during a race asks first.
func TestBrowserControls(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	openPage(t, ctx, url+"/"+tinyRace)
	if err := chromedp.Run(ctx, typeInto(`input[name=epochs]`, "500")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the epochs message", `document.querySelector("input[name=epochs] ~ .err") !== null`, 5*time.Second)
	if msg := jsText(ctx, `document.querySelector("input[name=epochs] ~ .err").textContent`); !strings.Contains(msg, "Epochs") || !strings.Contains(msg, "from 1 to 50") {
		t.Errorf("epochs message %q; want the field and its range named", msg)
	}
	evalBool(t, ctx, "the typed 500 stays in the field", `document.querySelector("input[name=epochs]").value === "500"`)
	if err := chromedp.Run(ctx, typeInto(`input[name=epochs]`, "3")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the message to go once the value is valid", `document.querySelector("input[name=epochs] ~ .err") === null`, 5*time.Second)
	evalBool(t, ctx, "the hash follows a valid value", `location.hash.includes("epochs=3")`)

	// A bad config stays in the box, with a message naming the byte.
	bad := `{"version":1, "epochs": "ten"}`
	if err := chromedp.Run(ctx, chromedp.Click(`#show-config`, chromedp.ByQuery),
		chromedp.WaitVisible(`textarea[name=config]`, chromedp.ByQuery), typeInto(`textarea[name=config]`, bad)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the config message", `document.querySelector("textarea[name=config] ~ .err") !== null`, 5*time.Second)
	if msg := jsText(ctx, `document.querySelector("textarea[name=config] ~ .err").textContent`); !strings.Contains(msg, `"epochs"`) || !strings.Contains(msg, "byte") {
		t.Errorf("config message %q", msg)
	}
	time.Sleep(600 * time.Millisecond) // a render or two
	if got := jsText(ctx, `document.querySelector("textarea[name=config]").value`); got != bad {
		t.Errorf("the bad config in the box became %q", got)
	}
	// A partial config is merged: epochs from it, the rest from the settings.
	if err := chromedp.Run(ctx, typeInto(`textarea[name=config]`, `{"version":1,"epochs":40}`)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the config message to go", `document.querySelector("textarea[name=config] ~ .err") === null`, 5*time.Second)
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "step events", 60*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.StepEvents > 0 })
	})
	poll(t, ctx, "the merged config's epochs", `document.querySelector(".run .status").textContent.includes("/40")`, 10*time.Second)
	// Race during the race asks; "keep" keeps it, "discard" restarts.
	// (40 epochs: the tiny race's 2 can end before the question is
	// asked, and then Race rightly starts at once.)
	before, _ := stats(ctx)
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the question before discarding a race", `document.querySelector("#confirm-race") !== null`, 5*time.Second)
	if err := chromedp.Run(ctx, chromedp.Click("#cancel-race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the question to go", `document.querySelector("#confirm-race") === null`, 5*time.Second)
	after := waitStats(t, ctx, "the race to go on", 30*time.Second, func(s []ui.RunStats) bool {
		return len(s) == 2 && len(before) == 2 && s[0].Steps > before[0].Steps
	})
	if after[0].Done || after[1].Done {
		t.Fatalf("the race ended before it could be discarded: %+v", after)
	}
	qctx, qcancel := context.WithTimeout(ctx, 30*time.Second)
	defer qcancel()
	if err := chromedp.Run(qctx, chromedp.Click("#race", chromedp.ByQuery), chromedp.WaitVisible("#confirm-race", chromedp.ByQuery),
		chromedp.Click("#confirm-race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "a new race from step 0", 30*time.Second, func(s []ui.RunStats) bool {
		return len(s) == 2 && s[0].Steps < before[0].Steps+5 && s[0].Epochs == 0
	})
	if err := chromedp.Run(ctx, chromedp.Click("#stop", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestBrowserHashAndKeys: editing the hash and going back update the
// page; Space starts and pauses, the right arrow steps, R resets, but not
// while typing in a field; ? shows the help.
func TestBrowserHashAndKeys(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	openPage(t, ctx, url+"/"+tinyRace)
	if err := chromedp.Run(ctx, chromedp.Evaluate(`location.hash = "#epochs=7&archs=9&theme=dark"`, nil)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the fields to follow the edited hash", `document.querySelector("input[name=epochs]").value === "7" && document.querySelector("input[name=archs]").value === "9"`, 5*time.Second)
	evalBool(t, ctx, "the theme from the hash", `document.querySelector("#page").classList.contains("theme-dark")`)
	if err := chromedp.Run(ctx, chromedp.Evaluate(`history.back()`, nil)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "back to restore the old settings", `document.querySelector("input[name=epochs]").value === "2" && !document.querySelector("#page").classList.contains("theme-dark")`, 5*time.Second)
	if err := chromedp.Run(ctx, chromedp.Evaluate(`history.forward()`, nil)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "forward to bring them back", `document.querySelector("input[name=epochs]").value === "7"`, 5*time.Second)
	if err := chromedp.Run(ctx, chromedp.Evaluate(`history.back()`, nil)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "back again", `document.querySelector("input[name=epochs]").value === "2"`, 5*time.Second)

	// Space in a text field types; it starts nothing.
	if err := chromedp.Run(ctx, chromedp.Focus(`input[name=seed]`, chromedp.ByQuery), chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if s, _ := stats(ctx); len(s) != 0 {
		t.Fatalf("Space in a text field started a race: %+v", s)
	}
	blur := chromedp.Evaluate(`document.activeElement.blur(); window.scrollTo(0, 0)`, nil)
	if err := chromedp.Run(ctx, typeInto(`input[name=seed]`, "0"), blur, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "Space to start the race", 60*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.StepEvents > 0 })
	})
	var y float64
	chromedp.Run(ctx, chromedp.Evaluate(`window.scrollY`, &y))
	if y != 0 {
		t.Errorf("Space scrolled the page to %v", y)
	}
	if err := chromedp.Run(ctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	before := waitStats(t, ctx, "Space to pause", 20*time.Second, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Status == ui.StatusPaused || r.Done })
	})
	if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.ArrowRight)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "→ to step", 20*time.Second, func(s []ui.RunStats) bool {
		for i, r := range s {
			if !r.Done && r.Steps <= before[i].Steps {
				return false
			}
		}
		return len(s) == 2
	})
	if err := chromedp.Run(ctx, chromedp.KeyEvent("?")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "? to show the help", `document.querySelector(".help") !== null && document.querySelector(".help").textContent.includes("Space")`, 5*time.Second)
	if err := chromedp.Run(ctx, chromedp.KeyEvent("r")); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "R to reset", 10*time.Second, func(s []ui.RunStats) bool { return len(s) == 0 })
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// darkMedia emulates prefers-color-scheme.
func darkMedia(dark bool) chromedp.Action {
	v := "light"
	if dark {
		v = "dark"
	}
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}})
}

// luminance of a computed CSS colour ("rgb(r, g, b)"), 0-255.
const luminanceJS = `(c) => { const m = c.match(/[\d.]+/g).map(Number); return 0.299*m[0] + 0.587*m[1] + 0.114*m[2]; }`

// TestBrowserDarkMode: the page and its charts follow the system's dark
// scheme, and the theme button overrides it.
func TestBrowserDarkMode(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	if err := chromedp.Run(ctx, darkMedia(true)); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, url+"/"+tinyRace)
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "a chart", `document.querySelector("svg.chart text") !== null`, 30*time.Second)
	check := func(what string, dark bool) {
		t.Helper()
		cmp := "<"
		if !dark {
			cmp = ">"
		}
		evalBool(t, ctx, what+": page background", fmt.Sprintf(`(%s)(getComputedStyle(document.querySelector("#page")).backgroundColor) %s 100`, luminanceJS, cmp))
		evalBool(t, ctx, what+": chart background", fmt.Sprintf(`(%s)(getComputedStyle(document.querySelector(".chart-box")).backgroundColor) %s 100`, luminanceJS, cmp))
		// Chart text is drawn in the text colour, the opposite of the background.
		inv := ">"
		if !dark {
			inv = "<"
		}
		evalBool(t, ctx, what+": chart text", fmt.Sprintf(`(%s)(getComputedStyle(document.querySelector("svg.chart text")).fill) %s 150`, luminanceJS, inv))
	}
	check("system dark", true)
	// Auto → dark → light: the button overrides the system.
	if err := chromedp.Run(ctx, chromedp.Click("#theme", chromedp.ByQuery), chromedp.Click("#theme", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the light theme", `document.querySelector("#page").classList.contains("theme-light")`, 5*time.Second)
	check("light override", false)
	if err := chromedp.Run(ctx, darkMedia(false), chromedp.Click("#theme", chromedp.ByQuery), chromedp.Click("#theme", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the dark theme", `document.querySelector("#page").classList.contains("theme-dark")`, 5*time.Second)
	check("dark override on a light system", true)
	if err := chromedp.Run(ctx, chromedp.Click("#stop", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// downloads lets the page save files into a fresh directory.
func downloads(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	if err := chromedp.Run(ctx, browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitFile waits for a finished download.
func waitFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	p := filepath.Join(dir, name)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
			if _, err := os.Stat(p + ".crdownload"); err != nil {
				return b
			}
		}
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	t.Fatalf("no download %s; the directory has %q", name, names)
	return nil
}

// checkExports saves every file of run sel and checks each parses: the
// JSON has the config, seed, events and results, the CSVs a header and a
// row per epoch / architecture, the weights load with `serve verify`.
func checkExports(t *testing.T, ctx context.Context, dir, sel, prefix string, epochs, archs int) {
	t.Helper()
	for _, e := range ui.Exports {
		if err := chromedp.Run(ctx, chromedp.Click(sel+" .export-"+e.Kind, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		b := waitFile(t, dir, prefix+e.Suffix)
		switch e.Kind {
		case "json":
			var doc struct {
				Run     json.RawMessage   `json:"run"`
				Ranking []json.RawMessage `json:"ranking"`
				Events  []struct {
					Type string `json:"type"`
				} `json:"events"`
				Results *struct {
					Tau float64 `json:"tau"`
				} `json:"results"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%s: %v", e.Kind, err)
			}
			types := map[string]int{}
			for _, ev := range doc.Events {
				types[ev.Type]++
			}
			if !bytes.Contains(doc.Run, []byte(`"seed"`)) || !bytes.Contains(doc.Run, []byte(`"epochs"`)) || len(doc.Ranking) != archs ||
				types["started"] != 1 || types["epoch"] != epochs || types["done"] != 1 {
				t.Errorf("run JSON: run %s, %d ranked, events %v", doc.Run, len(doc.Ranking), types)
			}
			if doc.Results == nil && !bytes.Contains(b, []byte(`"tau"`)) {
				t.Errorf("run JSON without results")
			}
		case "metrics", "ranking":
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			want, head := epochs, "epoch"
			if e.Kind == "ranking" {
				want, head = archs, "arch"
			}
			if err != nil || len(rows) != want+1 || rows[0][0] != head {
				t.Errorf("%s CSV: %d rows (want %d and a header %q): %v\n%s", e.Kind, len(rows), want+1, head, err, b)
			}
		case "weights":
			p := filepath.Join(dir, prefix+e.Suffix)
			if err := verifyCmd([]string{"-in", p, "-threads", "1"}); err != nil {
				t.Errorf("serve verify -in %s: %v", p, err)
			}
		}
	}
}

// TestBrowserExports races to the end, then saves every file of a run,
// each chart as SVG and PNG, and copies the link and the embed code.
func TestBrowserExports(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	dir := downloads(t, ctx)
	openPage(t, ctx, url+"/"+tinyRace)
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ctx, "both runs done", 4*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	checkExports(t, ctx, dir, `.run[data-sampler="pada"]`, "pada-pada-seed0", 2, 5)
	// The scatter's legend names each run with its tau.
	legend := jsText(ctx, `document.querySelector("#chart-rank svg").textContent`)
	for _, w := range []string{"Uniform (SPOS) τ", "PA&DA τ", "must beat these"} {
		if !strings.Contains(legend, w) {
			t.Errorf("the ranking chart lacks %q: %q", w, legend)
		}
	}
	for _, id := range []string{"loss", "rank", "cell-1", "paths-1"} {
		for _, f := range []string{"svg", "png"} {
			if err := chromedp.Run(ctx, chromedp.Click("#chart-"+id+" .save-"+f, chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			b := waitFile(t, dir, "pada-"+id+"."+f)
			if f == "svg" {
				d := xml.NewDecoder(bytes.NewReader(b))
				n := 0
				for {
					tok, err := d.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s.svg is not XML: %v", id, err)
					}
					if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "text" {
						n++
					}
				}
				if n == 0 {
					t.Errorf("%s.svg has no text", id)
				}
			} else if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() < 500 {
				t.Errorf("%s.png: %v", id, err)
			}
		}
	}
	// Copy link and copy embed code: the page says what it copied (or,
	// where the browser refuses the clipboard, shows it to copy by hand).
	if err := chromedp.Run(ctx, chromedp.Click("#copy-link", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the copied link", `document.querySelector(".copied") && document.querySelector(".copied").textContent.includes("#epochs=2")`, 5*time.Second)
	if err := chromedp.Run(ctx, chromedp.Click("#copy-embed", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the copied embed code", `document.querySelector(".copied").textContent.includes("<iframe") && window.padaCopied.includes("embed=1") && window.padaCopied.includes("padaHeight")`, 5*time.Second)
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestBrowserReadable: at 1366x768 no chart text is under 14 px; at 390
// px nothing overflows sideways; every control is at least 24 px.
func TestBrowserReadable(t *testing.T) {
	// The smallest rendered chart text, in CSS pixels.
	const minText = `Math.min(...[...document.querySelectorAll("svg.chart text")].filter(e => e.getBoundingClientRect().width > 0).map(e => {
		const svg = e.ownerSVGElement; return parseFloat(getComputedStyle(e).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; }))`
	const smallTargets = `[...document.querySelectorAll("button, input, summary, a, select, textarea")].filter(e => {
		const r = e.getBoundingClientRect(); return r.width > 0 && (r.width < 24 || r.height < 24); }).map(e => e.outerHTML.slice(0, 80))`
	for _, size := range [][2]int64{{1366, 768}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ctx, url, logs := browserOrSkip(t, size[0], size[1])
			openPage(t, ctx, url+"/"+tinyRace)
			if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			waitStats(t, ctx, "an epoch", 2*time.Minute, func(s []ui.RunStats) bool {
				return all(s, 2, func(r ui.RunStats) bool { return r.Epochs >= 1 })
			})
			time.Sleep(600 * time.Millisecond)
			if size[0] == 1366 {
				var px float64
				if err := chromedp.Run(ctx, chromedp.Evaluate(minText, &px)); err != nil {
					t.Fatal(err)
				}
				if px < 14 {
					t.Errorf("the smallest chart text is %.1f px; want 14 or more", px)
				}
				if err := chromedp.Run(ctx, chromedp.Click("#big", chromedp.ByQuery)); err != nil {
					t.Fatal(err)
				}
				poll(t, ctx, "large text", `document.querySelector("#page").classList.contains("big")`, 5*time.Second)
				var big float64
				if err := chromedp.Run(ctx, chromedp.Evaluate(minText, &big)); err != nil {
					t.Fatal(err)
				}
				if big < px*1.15 {
					t.Errorf("large text: smallest chart text %.1f px, was %.1f", big, px)
				}
			}
			var sw, iw int
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth`, &sw), chromedp.Evaluate(`window.innerWidth`, &iw)); err != nil {
				t.Fatal(err)
			}
			if sw > iw {
				var wide []string
				chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#page *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + "." + e.className)`, &wide))
				t.Errorf("the page is %d px wide in a %d px viewport; too wide: %q", sw, iw, wide)
			}
			var small []string
			if err := chromedp.Run(ctx, chromedp.Evaluate(smallTargets, &small)); err != nil {
				t.Fatal(err)
			}
			if len(small) > 0 {
				t.Errorf("controls under 24 px: %q", small)
			}
			chromedp.Run(ctx, chromedp.Click("#stop", chromedp.ByQuery))
			if msgs := logs.all(); len(msgs) > 0 {
				t.Errorf("console errors: %q", msgs)
			}
		})
	}
}

// blogPage is a blog column 700 px wide with the page embedded as the
// README says: the iframe and the snippet that sets its height.
func blogPage(src string) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>blog</title></head>
<body style="margin:0;background:#eee"><main style="width:700px;margin:0 auto;background:#fff;padding:10px 0">
<p style="font:18px Georgia,serif;margin:10px">A paragraph of the post before the race.</p>
<iframe id="pada-race" src="` + src + `" width="100%" height="300" style="border:0;display:block" title="PA&amp;DA race"></iframe>
` + ui.EmbedScript + `
<p style="font:18px Georgia,serif;margin:10px">And after it.</p></main></body></html>`
}

// TestBrowserEmbedFrame embeds the page in a 700 px blog column with
// views=loss,rank: the one-line explanation stays, only those charts
// show, the race waits for a click on the overlay, and the iframe grows
// to the page's height (no inner scrollbar).
func TestBrowserEmbedFrame(t *testing.T) {
	const hash = "#embed=1&views=loss,rank&epochs=1&train=600&batch=32&archs=5&evalimages=100"
	ctx, url, logs := browserWith(t, 900, 900, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/blog.html" {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, blogPage("/"+hash))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	const inner = `document.getElementById("pada-race").contentWindow`
	if err := chromedp.Run(tctx, chromedp.Navigate(url+"/blog.html"),
		chromedp.Poll(inner+`.padaReady === true`, nil, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("the embedded page did not start: %v", err)
	}
	doc := inner + `.document`
	poll(t, ctx, "the overlay", doc+`.querySelector("#start-overlay") !== null`, 10*time.Second)
	evalBool(t, ctx, "the one-line explanation", doc+`.querySelector(".oneline").getBoundingClientRect().height > 0`)
	evalBool(t, ctx, "only the chosen views", doc+`.querySelector("#chart-loss") !== null && `+doc+`.querySelector("#chart-rank") !== null && `+doc+`.querySelector("#chart-acc") === null && `+doc+`.querySelector(".per-run") === null`)
	time.Sleep(time.Second)
	var st string
	chromedp.Run(ctx, chromedp.Evaluate(inner+`.padaStats || "[]"`, &st))
	if st != "[]" && st != "null" {
		t.Errorf("the embedded race started without a click: %s", st)
	}
	// A reader's click, at the overlay's place in the blog page.
	var xy []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const f = document.getElementById("pada-race").getBoundingClientRect();
		const o = `+doc+`.querySelector("#start-overlay").getBoundingClientRect();
		return [f.left + o.left + o.width / 2, f.top + o.top + o.height / 2]; })()`, &xy)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	if m := logs.all(); len(m) > 0 {
		t.Logf("console: %q", m)
	}
	poll(t, ctx, "the embedded race to finish", `(JSON.parse(`+inner+`.padaStats || "[]") || []).filter(r => r.done).length === 2`, 3*time.Minute)
	time.Sleep(time.Second)
	fit := `Math.abs(document.getElementById("pada-race").getBoundingClientRect().height - ` + doc + `.body.getBoundingClientRect().height) <= 2`
	poll(t, ctx, "the iframe to fit the page", fit, 10*time.Second)
	evalBool(t, ctx, "no inner scrollbar", doc+`.documentElement.scrollHeight <= `+inner+`.innerHeight + 1 && `+doc+`.documentElement.scrollWidth <= `+inner+`.innerWidth`)
	evalBool(t, ctx, "a tall enough iframe", `document.getElementById("pada-race").getBoundingClientRect().height > 500`)
	if dir := os.Getenv("PADA_SCREENSHOTS"); dir != "" {
		var b []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&b, 100)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "5-embed-blog-700.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}
