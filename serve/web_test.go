package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"

	"pada/serve/api"
	"pada/serve/site"
)

// testOptions are the run API's settings of a test server on the store
// file storePath (as the api package's own tests have them).
func testOptions(storePath string) api.Options {
	return api.Options{Enabled: true, Store: storePath, MaxRuns: 1, Queue: 4, Threads: 1, MaxBody: 1 << 20, LoopbackHost: true}
}

// testSite builds the site once per test binary (the wasm builds take a
// while on a small machine; go's build cache makes later runs quick).
var testSite = sync.OnceValues(func() (string, error) {
	root, err := site.ModuleRoot()
	if err != nil {
		return "", err
	}
	// One folder per checkout: two checkouts testing at once must not
	// rebuild each other's binaries under their feet.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("pada-web-test-site-%x", sha256.Sum256([]byte(root)))[:len("pada-web-test-site-")+12])
	return dir, site.Build(root, dir, func(string, ...any) {}, nil)
})

func siteOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building the wasm binaries")
	}
	dir, err := testSite()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWebServesSite(t *testing.T) {
	dir := siteOrSkip(t)
	h, err := site.Handler(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		path, ctype, enc string
		code             int
	}{
		{"/", "text/html; charset=utf-8", "gzip", 200},
		{"/app.js", "text/javascript; charset=utf-8", "gzip", 200},
		{"/worker.js", "text/javascript; charset=utf-8", "gzip", 200},
		{"/wasm_exec.js", "text/javascript; charset=utf-8", "gzip", 200},
		{"/style.css", "text/css; charset=utf-8", "gzip", 200},
		{"/main.wasm", "application/wasm", "gzip", 200},
		{"/worker.wasm", "application/wasm", "gzip", 200},
		{"/manifest.json", "application/json", "gzip", 200},
		{"/data/fashion16-train-labels-idx1-ubyte.gz", "application/gzip", "", 200},
		{"/nothing", "", "", 404},
		{"/go.mod", "", "", 404},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code {
			t.Errorf("%s: status %d, want %d", tc.path, res.StatusCode, tc.code)
			continue
		}
		if tc.code != 200 {
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := res.Header.Get("Content-Encoding"); got != tc.enc {
			t.Errorf("%s: Content-Encoding %q, want %q", tc.path, got, tc.enc)
		}
		if tc.enc == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(string(body)))
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			raw, _ := io.ReadAll(zr)
			if strings.HasSuffix(tc.path, ".wasm") && (len(raw) < 8 || string(raw[:4]) != "\x00asm") {
				t.Errorf("%s: gunzipped body is not wasm", tc.path)
			}
		}
	}
	// A browser that accepts brotli gets the brotli copy, which decodes
	// to the same bytes as the file.
	for _, name := range []string{"main.wasm", "worker.wasm", "app.js"} {
		req, _ := http.NewRequest("GET", srv.URL+"/"+name, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(brotli.NewReader(res.Body))
		res.Body.Close()
		want, _ := os.ReadFile(filepath.Join(dir, name))
		if enc := res.Header.Get("Content-Encoding"); enc != "br" || !bytes.Equal(body, want) {
			t.Errorf("%s with br accepted: Content-Encoding %q, %d bytes decoded, want br and %d bytes", name, enc, len(body), len(want))
		}
	}
	// wasm_exec.js is this Go's, not a stale copy.
	goroot, err := site.GoEnv("GOROOT")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	got, _ := os.ReadFile(filepath.Join(dir, "wasm_exec.js"))
	if string(want) != string(got) {
		t.Error("wasm_exec.js differs from $(go env GOROOT)/lib/wasm/wasm_exec.js")
	}
}

func TestListenAddr(t *testing.T) {
	cases := []struct {
		addr     string
		port     int
		portSet  bool
		host, hp string
		err      string
	}{
		{"127.0.0.1", 8080, false, "127.0.0.1", "127.0.0.1:8080", ""},
		{"127.0.0.1", 9000, true, "127.0.0.1", "127.0.0.1:9000", ""},
		{"127.0.0.1:8791", 8080, false, "127.0.0.1", "127.0.0.1:8791", ""},
		{"127.0.0.1:8791", 8791, true, "127.0.0.1", "127.0.0.1:8791", ""},
		{"[::1]:8791", 8080, false, "::1", "[::1]:8791", ""},
		{"::1", 8080, false, "::1", "[::1]:8080", ""},
		{"localhost", 0, true, "localhost", "localhost:0", ""},
		{"", 8080, false, "", ":8080", ""},
		{"127.0.0.1:8791", 9000, true, "", "", "names port 8791 and -port says 9000"},
		{"127.0.0.1:http", 8080, false, "", "", `port "http" is not a number`},
		{"127.0.0.1", 70000, true, "", "", "-port 70000"},
	}
	for _, c := range cases {
		host, hp, err := listenAddr(c.addr, c.port, c.portSet)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("listenAddr(%q, %d): %v, want an error containing %q", c.addr, c.port, err, c.err)
			}
			continue
		}
		if err != nil || host != c.host || hp != c.hp {
			t.Errorf("listenAddr(%q, %d) = %q, %q, %v; want %q, %q", c.addr, c.port, host, hp, err, c.host, c.hp)
		}
	}
}
