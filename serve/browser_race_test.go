package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pada/ui"
)

// TestBrowserRaceTeaches races the tiny race twice: the estimate shows
// before Race and the time left during the race; each τ comes with its
// interval; with 5 architectures the intervals overlap, so the summary
// names no winner; "Repeat with the next seed" adds a row to the seeds
// table.
func TestBrowserRaceTeaches(t *testing.T) {
	ctx, url, logs := browserOrSkip(t, 1366, 900)
	openPage(t, ctx, url+"/"+tinyRace)
	est := jsText(ctx, `document.querySelector(".race-time").textContent`)
	if !strings.HasPrefix(est, "about ") || !strings.Contains(est, "images/s per worker") {
		t.Fatalf("estimate before the race: %q", est)
	}
	if err := chromedp.Run(ctx, chromedp.Click("#race", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the time left", `/left|estimating/.test(document.querySelector(".race-time").textContent)`, 60*time.Second)
	end := waitStats(t, ctx, "both runs done", 4*time.Minute, func(s []ui.RunStats) bool {
		return all(s, 2, func(r ui.RunStats) bool { return r.Done })
	})
	for _, r := range end {
		if !(r.TauLo <= r.Tau && r.Tau <= r.TauHi) || r.TauLo == r.TauHi {
			t.Errorf("run %s: tau %v outside its interval [%v, %v]", r.Sampler, r.Tau, r.TauLo, r.TauHi)
		}
	}
	tau := jsText(ctx, `document.querySelector('.run[data-sampler="pada"] .tau').textContent`)
	if !strings.Contains(tau, "[") {
		t.Errorf("the τ line shows no interval: %q", tau)
	}
	sum := jsText(ctx, `document.querySelector(".summary").textContent`)
	if !strings.Contains(sum, "within the noise") || strings.Contains(sum, "ranks better than") {
		t.Errorf("5 architectures, yet the summary reads %q", sum)
	}
	poll(t, ctx, "a seeds table of one row", `document.querySelectorAll("table.seeds tbody tr").length === 1`, 10*time.Second)
	if err := chromedp.Run(ctx, chromedp.Click("#next-seed", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "a second row", `document.querySelectorAll("table.seeds tbody tr").length === 2`, 4*time.Minute)
	foot := jsText(ctx, `document.querySelector("table.seeds tfoot").textContent`)
	if !strings.Contains(foot, "±") {
		t.Errorf("the seeds table's foot has no mean ± sd: %q", foot)
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}
