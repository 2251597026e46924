package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"

	"pada/core/run"
	"pada/ui"
)

// raceBrowser serves the page with `serve web` and races each seed in
// headless Chromium, one race at a time, as a user who opens a link with
// #autostart=1 would.
func raceBrowser(exe, tmp string, o options, base run.Config) ([]row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	srv := exec.Command(exe, "web", "-port", strconv.Itoa(port), "-api=false", "-nats-listen", "off", "-cache", filepath.Join(tmp, "site"))
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	site := fmt.Sprintf("http://127.0.0.1:%d/", port)
	// The first start builds the wasm: minutes on a loaded machine.
	deadline := time.Now().Add(10 * time.Minute)
	for {
		resp, err := http.Get(site)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the page at %s did not come up: %v", site, err)
		}
		time.Sleep(time.Second)
	}
	exePath := "/usr/bin/chromium"
	if _, err := os.Stat(exePath); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			exePath = p
		} else {
			return nil, fmt.Errorf("chromium is missing (apt-get install chromium)")
		}
	}
	var rows []row
	for _, seed := range o.seeds {
		rw, err := browserSeed(exePath, tmp, site+"#"+o.hash(base, seed), o, seed)
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", seed, err)
		}
		rows = append(rows, rw)
	}
	return rows, nil
}

// browserSeed runs one race in a fresh browser profile and reads its
// results from window.padaStats.
func browserSeed(exePath, tmp, url string, o options, seed uint64) (row, error) {
	rw := row{seed: seed}
	profile, err := os.MkdirTemp(tmp, "chromium-")
	if err != nil {
		return rw, err
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exePath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1366, 768),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, o.timeout)
	defer cancelT()
	t0 := time.Now()
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		return rw, err
	}
	var st []ui.RunStats
	for {
		var s string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.padaStats || "[]"`, &s)); err != nil {
			return rw, fmt.Errorf("waiting for the race: %w", err)
		}
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			return rw, err
		}
		done := len(st) == len(o.runs)
		for _, r := range st {
			if r.Err != "" {
				return rw, fmt.Errorf("run %s failed: %s", r.Sampler, r.Err)
			}
			done = done && r.Done
		}
		if done {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	rw.wall = time.Since(t0).Seconds()
	for _, r := range st {
		res := result{tau: r.Tau, lo: r.TauLo, hi: r.TauHi, wall: rw.wall, ips: r.ImagesPerSecond}
		rw.res = append(rw.res, res)
		fmt.Fprintf(os.Stderr, "  seed %d %s: tau %.3f [%.3f, %.3f], %.0f images/s\n", seed, r.Sampler, r.Tau, r.TauLo, r.TauHi, r.ImagesPerSecond)
	}
	return rw, nil
}
