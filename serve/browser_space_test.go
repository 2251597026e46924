package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pada/ui"
)

// smallRace is tinyRace's budget on nb201-small without an archs count:
// the race then ranks every one of the space's 60 isomorphism classes.
const smallRace = "#runs=uniform,pada&epochs=2&train=1000&batch=32&evalimages=100"

// raceSmallSpace opens the page on smallRace, picks nb201-small in the
// search space selector, checks that the hash carries it, and races to
// the end: both runs rank all 60 classes, each τ inside its interval.
func raceSmallSpace(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	openPage(t, ctx, url+"/"+smallRace)
	if err := chromedp.Run(ctx, setControl(`select[name=space]`, "nb201-small")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the hash to carry the space", `location.hash.includes("space=nb201-small")`, 5*time.Second)
	if note := jsText(ctx, `document.querySelector(".space-note").textContent`); !strings.Contains(note, "60 isomorphism classes") || !strings.Contains(note, "ranks all 60") {
		t.Errorf("the space's note reads %q", note)
	}
	if v := jsText(ctx, `document.querySelector("input[name=archs]").value`); v != "60" {
		t.Errorf("the Archs ranked field reads %q after choosing nb201-small, want 60 (what the race ranks)", v)
	}
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	end := waitStats(t, ctx, "both runs done", 5*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	for _, r := range end {
		if r.Epochs != 2 || r.Ranked != 60 {
			t.Errorf("run %s: %d epochs, %d ranked; want 2 and all 60 classes", r.Sampler, r.Epochs, r.Ranked)
		}
		if !(r.TauLo <= r.Tau && r.Tau <= r.TauHi) || r.TauLo == r.TauHi {
			t.Errorf("run %s: tau %v outside its interval [%v, %v]", r.Sampler, r.Tau, r.TauLo, r.TauHi)
		}
	}
	time.Sleep(600 * time.Millisecond) // the last render
}

// TestBrowserSpace races on nb201-small in the tab: the race finishes
// against nb201-small's own ground-truth table (τ with its interval over
// 60 architectures, the free baselines), the cell diagram has 3 nodes
// and 3 edges, the path chart 3 edges, and a reload of the link keeps
// the space chosen.
func TestBrowserSpace(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	raceSmallSpace(t, ctx, url)
	tau := jsText(ctx, `document.querySelector('.run[data-sampler="pada"] .tau').textContent`)
	if !strings.Contains(tau, "Kendall τ") || !strings.Contains(tau, "[") {
		t.Errorf("the τ line reads %q; want τ with its interval", tau)
	}
	note := jsText(ctx, `document.querySelector("#chart-rank .truth-note").textContent`)
	for _, want := range []string{"Free baselines", "convolutions τ =", "60 architectures trained stand-alone; 60 of the 60 ranked here"} {
		if !strings.Contains(note, want) {
			t.Errorf("the ranking's caption lacks %q: %q", want, note)
		}
	}
	for i := range 2 {
		cell := fmt.Sprintf("#chart-cell-%d svg", i)
		evalBool(t, ctx, "a 3-node cell with 3 arrows", fmt.Sprintf(
			`document.querySelectorAll(%q).length === 3 && document.querySelectorAll(%q).length === 3 && document.querySelectorAll(%q).length === 3`,
			cell+" circle", cell+" path", cell+" polygon"))
		edges := jsText(ctx, fmt.Sprintf(`[...document.querySelectorAll("#chart-edges-%d svg text")].map(e => e.textContent).filter(s => s.startsWith("edge ")).join(",")`, i))
		if edges != "edge 1←0,edge 2←0,edge 2←1" {
			t.Errorf("run %d's path chart shows edges %q, want nb201-small's three", i, edges)
		}
	}
	// The link reproduces the space: a fresh load selects it.
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, url+"/"+smallRace+"&space=nb201-small")
	evalBool(t, ctx, "the selector shows the link's space", `document.querySelector("select[name=space]").value === "nb201-small"`)
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}

// TestSpaceScreenshots saves the page with an nb201-small race finished,
// at a laptop's and a phone's size, into $PADA_SCREENSHOTS (set it as
// make screenshots does).
func TestSpaceScreenshots(t *testing.T) {
	dir := os.Getenv("PADA_SCREENSHOTS")
	if dir == "" {
		t.Skip("PADA_SCREENSHOTS is not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sz := range [][2]int64{{1366, 768}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			ctx, url, _ := browserOrSkip(t, sz[0], sz[1])
			raceSmallSpace(t, ctx, url)
			for _, full := range []bool{false, true} {
				var b []byte
				act, step := chromedp.CaptureScreenshot(&b), "space-after"
				if full {
					act, step = chromedp.FullScreenshot(&b, 100), "space-after-full" // 100: PNG
				}
				if err := chromedp.Run(ctx, act); err != nil {
					t.Fatal(err)
				}
				p := fmt.Sprintf("%s/%s-%dx%d.png", dir, step, sz[0], sz[1])
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", p)
			}
		})
	}
}
