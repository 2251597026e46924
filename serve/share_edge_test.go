package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"pada/wasm/edge/share/sharetest"
)

// TestEdgeShares builds the Cloudflare Worker (wasm/edge), runs it under
// `wrangler dev` on loopback (workerd from edge/node_modules, D1
// simulated locally in a temporary folder) and holds it to the same
// share API checks as the native server. It skips when wrangler is not
// installed (cd edge && npm ci) unless PADA_REQUIRE_REFS is set.
func TestEdgeShares(t *testing.T) {
	const page = "<!doctype html><title>PA&amp;DA</title>"
	site := t.TempDir()
	if err := os.WriteFile(filepath.Join(site, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	const limit = 12
	base := startEdge(t, site, limit)
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != page {
		t.Fatalf("the Worker's / is %q, want the site's index.html", b)
	}
	c := &sharetest.Client{Base: base, HTTP: hc}
	if a := c.Do(t, "GET", "/api/runs", "", nil); a.Code != http.StatusNotFound || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/runs on the Worker: %d %q %s, want a JSON 404", a.Code, a.Header.Get("Content-Type"), a.Body)
	}
	if a := c.Do(t, "POST", "/api/shares", "application/json", []byte(`{}`), "Origin", "https://evil.example"); a.Code != http.StatusForbidden {
		t.Fatalf("publish from a foreign page: %d %s, want 403", a.Code, a.Body)
	}
	tm := sharetest.Check(t, c, limit)
	t.Logf("Worker (wrangler dev, local D1): publish %v, fetch %v (medians), record %d bytes", tm.Publish, tm.Fetch, tm.Bytes)
}

// startEdge builds the Worker and runs it under `wrangler dev` on
// loopback with site as its static assets and at most limit
// publications per client per hour, until the test ends; it answers
// the Worker's base URL. It skips when wrangler or node is missing
// (unless PADA_REQUIRE_REFS is set).
func startEdge(t *testing.T, site string, limit int) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the Worker and starts wrangler (about a minute)")
	}
	wrangler, err := filepath.Abs(filepath.Join("..", "edge", "node_modules", ".bin", "wrangler"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(wrangler); err != nil {
		if os.Getenv("PADA_REQUIRE_REFS") != "" {
			t.Fatalf("wrangler is missing (%s: run npm ci in edge/) and PADA_REQUIRE_REFS is set", wrangler)
		}
		t.Skipf("wrangler is missing (%s): run npm ci in edge/ to test the Worker", wrangler)
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("PADA_REQUIRE_REFS") != "" {
			t.Fatal("node is missing and PADA_REQUIRE_REFS is set")
		}
		t.Skip("node is missing: the Worker test needs it for wrangler")
	}

	// The real wrangler.toml (its assets pointed at site) and schema,
	// beside a build of the Worker.
	dir := t.TempDir()
	toml, err := os.ReadFile(filepath.Join("..", "edge", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	const assets = `assets = { directory = "site" }`
	if !strings.Contains(string(toml), assets) {
		t.Fatalf("edge/wrangler.toml has no %s", assets)
	}
	abs, err := filepath.Abs(site)
	if err != nil {
		t.Fatal(err)
	}
	toml = []byte(strings.Replace(string(toml), assets, fmt.Sprintf("assets = { directory = %q }", abs), 1))
	schema, err := os.ReadFile(filepath.Join("..", "edge", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range map[string][]byte{"wrangler.toml": toml, "schema.sql": schema} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := filepath.Join(dir, "build")
	t0 := time.Now()
	runCmd(t, "..", nil, gobin, "run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", build)
	runCmd(t, "..", []string{"GOOS=js", "GOARCH=wasm"}, gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(build, "app.wasm"), "./wasm/edge")
	st, err := os.Stat(filepath.Join(build, "app.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Worker built in %.1fs: app.wasm %d bytes", time.Since(t0).Seconds(), st.Size())

	env := []string{"WRANGLER_SEND_METRICS=false", "CI=1", "NO_COLOR=1"}
	state := filepath.Join(dir, "state")
	runCmd(t, dir, env, wrangler, "d1", "execute", "pada-shares", "--local", "--persist-to", state, "--file", "schema.sql")

	port, inspector := freePort(t), freePort(t)
	dev := exec.Command(wrangler, "dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(port), "--inspector-port", fmt.Sprint(inspector),
		"--persist-to", state, "--var", fmt.Sprintf("PUBLISH_LIMIT:%d", limit), "--show-interactive-dev-session=false")
	dev.Dir = dir
	dev.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(dir, "dev.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	dev.Stdout, dev.Stderr = logf, logf
	dev.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // wrangler starts workerd: stop both
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-dev.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { dev.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-dev.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	hc := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := hc.Get(base + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dev.log"))
			t.Fatalf("wrangler dev did not answer within 90 s: %v\n%s", err, log)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("wrangler dev ready %.1fs after the build", time.Since(t0).Seconds())
	return base
}

// runCmd runs a command to completion, failing the test with its output.
func runCmd(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
