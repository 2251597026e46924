// Package site builds the page's static site (the vugu page and the
// trainer compiled to WebAssembly, the files of public/, the shipped data,
// a manifest, brotli and gzip copies) and serves a built site folder with
// the same-site checks. The native server (`serve web`) uses it for the
// page; `serve web -out DIR` writes a folder any static host can serve.
package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pada/public"
)

// files are the static files copied from public/ into a site.
var files = []string{"index.html", "app.js", "style.css", "worker.js"}

// Mains are the browser programs: output name -> package.
var Mains = [][2]string{{"main.wasm", "./wasm/page"}, {"worker.wasm", "./wasm/worker"}}

// BuildFlags are the go build flags of the browser programs. The page
// downloads both, so their size is its load time (goal: 2 MB brotli in
// all): -s -w drop the symbol table and DWARF, -trimpath the file paths,
// and -l turns inlining off, since an inlined body is a copy in every
// caller, except where the time goes: the runtime (allocation, maps, GC),
// math, and core/ (a training step; the page links only core/run,
// core/space and core/sampler of it). A later match of a -gcflags pattern
// wins over an earlier one. Measured 2026-12-02: the two binaries went
// from 2,067,448 to 1,975,757 bytes brotli (main.wasm 996,100 -> 941,976,
// worker.wasm 1,071,348 -> 1,033,781); bench/speed's worker built both
// ways trained mini at 0.96x and 1.26x in two alternating pairs (load
// 12: the same within noise, as core/ is compiled as before).
var BuildFlags = []string{
	"-trimpath", "-ldflags=-s -w",
	"-gcflags=all=-l", "-gcflags=runtime=", "-gcflags=internal/runtime/...=",
	"-gcflags=internal/bytealg=", "-gcflags=math=", "-gcflags=math/bits=",
	"-gcflags=sync/atomic=", "-gcflags=pada/core/...=",
}

// ModuleRoot finds the folder of go.mod from the working directory up.
func ModuleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module pada")) {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", errors.New("web: run this from inside the pada module (its sources build the page)")
		}
		d = p
	}
}

// newestSource is the latest modification time of the files the wasm
// binaries are built from.
func newestSource(root string) (time.Time, error) {
	var t time.Time
	for _, f := range []string{"go.mod", "go.sum"} {
		if st, err := os.Stat(filepath.Join(root, f)); err == nil && st.ModTime().After(t) {
			t = st.ModTime()
		}
	}
	for _, d := range []string{"core", "ui", "wasm"} {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".vugu")) || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			st, err := e.Info()
			if err == nil && st.ModTime().After(t) {
				t = st.ModTime()
			}
			return nil
		})
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// GoEnv is one value of `go env`.
func GoEnv(key string) (string, error) {
	b, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("web: go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Build writes the static site into dir: the page files from
// public/, wasm_exec.js from this Go installation, the two wasm binaries
// (rebuilt only when missing or stale) with gzip copies, the default
// dataset under data/, and manifest.json (sizes for the progress bar and
// a version that busts caches).
func Build(root, dir string, logf func(string, ...any), progress func(what string) (stop func())) error {
	if progress == nil {
		progress = func(string) func() { return func() {} }
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return err
	}
	// Regenerate the vugu code when a .vugu file is newer than it.
	if stale(filepath.Join(root, "ui", "root_gen.go"), filepath.Join(root, "ui", "root.vugu")) {
		logf("web: generating ui/root_gen.go (go tool vugugen)")
		cmd := exec.Command("go", "tool", "vugugen", "-skip-go-mod", "-skip-main", "ui")
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("web: vugugen: %w", err)
		}
	}
	src, err := newestSource(root)
	if err != nil {
		return err
	}
	var build [][2]string
	for _, m := range Mains {
		st, err := os.Stat(filepath.Join(dir, m[0]))
		if err != nil || !st.ModTime().After(src) {
			build = append(build, m)
		}
	}
	if len(build) > 0 {
		logf("web: building the page into %s: %d WebAssembly binaries with the Go toolchain (about 20-60 s each on a 2-core machine, longer on a first start with an empty Go build cache), then brotli and gzip copies (about 30 s); later starts reuse them until the sources change", dir, len(build))
	}
	for i, m := range build {
		outPath := filepath.Join(dir, m[0])
		logf("web: [%d/%d] building %s (GOOS=js GOARCH=wasm %s)", i+1, len(build), m[0], m[1])
		stop := progress("building " + m[0])
		t0 := time.Now()
		tmp := outPath + ".tmp"
		cmd := exec.Command("go", append(append([]string{"build"}, BuildFlags...), "-o", tmp, m[1])...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		err := cmd.Run()
		stop()
		if err != nil {
			return fmt.Errorf("web: building %s: %w", m[1], err)
		}
		if err := os.Rename(tmp, outPath); err != nil {
			return err
		}
		logf("web: built %s in %.1fs", m[0], time.Since(t0).Seconds())
	}
	goroot, err := GoEnv("GOROOT")
	if err != nil {
		return err
	}
	copies := map[string]string{"wasm_exec.js": filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")}
	for _, f := range files {
		copies[f] = filepath.Join(root, "public", f)
	}
	for name, from := range copies {
		b, err := os.ReadFile(from)
		if err != nil {
			return fmt.Errorf("web: %w", err)
		}
		if err := writeIfChanged(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	entries, err := fs.ReadDir(public.Data, "data")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(public.Data, "data/"+e.Name())
		if err != nil {
			return err
		}
		if err := writeIfChanged(filepath.Join(dir, "data", e.Name()), b); err != nil {
			return err
		}
	}
	// The manifest: uncompressed sizes (the progress bar's totals) and a
	// version over the wasm binaries.
	man := struct {
		Version string           `json:"version"`
		Sizes   map[string]int64 `json:"sizes"`
	}{Sizes: map[string]int64{}}
	h := sha256.New()
	for _, m := range Mains {
		b, err := os.ReadFile(filepath.Join(dir, m[0]))
		if err != nil {
			return err
		}
		h.Write(b)
		man.Sizes[m[0]] = int64(len(b))
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".gz") {
			if info, err := e.Info(); err == nil {
				man.Sizes["data/"+e.Name()] = info.Size()
			}
		}
	}
	man.Version = hex.EncodeToString(h.Sum(nil))[:12]
	b, _ := json.MarshalIndent(man, "", "  ")
	if err := writeIfChanged(filepath.Join(dir, "manifest.json"), b); err != nil {
		return err
	}
	return compressSite(dir, logf, progress)
}

// compressSite refreshes the precompressed copies of the site's files
// that are missing or older than their file, the slow wasm ones in
// parallel.
func compressSite(dir string, logf func(string, ...any), progress func(what string) (stop func())) error {
	var stale []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible(p) {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		br, _ := os.Stat(p + ".br")
		gz, _ := os.Stat(p + ".gz")
		if !fresh(br, st) || !fresh(gz, st) {
			stale = append(stale, p)
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return err
	}
	t0 := time.Now()
	logf("web: compressing %d files (brotli at the highest level for the wasm binaries: the slow part)", len(stale))
	stop := progress("compressing")
	errs := make([]error, len(stale))
	var wg sync.WaitGroup
	var left atomic.Int32
	left.Store(int32(len(stale)))
	for i, p := range stale {
		wg.Go(func() {
			t := time.Now()
			errs[i] = compressFile(p)
			if st, err := os.Stat(p); err == nil && st.Size() > 1<<20 {
				logf("web: compressed %s in %.1f s (%d files left)", filepath.Base(p), time.Since(t).Seconds(), left.Add(-1))
			} else {
				left.Add(-1)
			}
		})
	}
	wg.Wait()
	stop()
	logf("web: compressed %d files (brotli, gzip) in %.1fs", len(stale), time.Since(t0).Seconds())
	return errors.Join(errs...)
}

func stale(out, in string) bool {
	so, err := os.Stat(out)
	if err != nil {
		return true
	}
	si, err := os.Stat(in)
	return err == nil && si.ModTime().After(so.ModTime())
}

func writeIfChanged(p string, b []byte) error {
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return os.WriteFile(p, b, 0o644)
}

// ContentType is the Content-Type of a site file.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".gz":
		return "application/gzip" // the dataset files: the worker gunzips them itself
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".md":
		return "text/markdown; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Handler serves a built site folder: files by name, wasm gzipped to
// clients that accept it, every request checked for cross-site origin.
func Handler(dir string) (http.Handler, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return nil, fmt.Errorf("web: %s is not a built site: %w", dir, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "this server only serves files", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean("/" + r.URL.Path)
		if name == "/" {
			name = "/index.html"
		}
		name = name[1:]
		if strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".br") || strings.Contains(name, "..") {
			http.NotFound(w, r)
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ContentType(name))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		if compressible(name) {
			w.Header().Add("Vary", "Accept-Encoding")
			ae := r.Header.Get("Accept-Encoding")
			for _, enc := range [][2]string{{"br", ".br"}, {"gzip", ".gz"}} {
				if c, _ := os.Stat(p + enc[1]); fresh(c, st) && acceptsEncoding(ae, enc[0]) {
					w.Header().Set("Content-Encoding", enc[0])
					p, st = p+enc[1], c
					break
				}
			}
		}
		f, err := os.Open(p)
		if err != nil {
			// No path or system message in the answer.
			http.Error(w, "the file could not be read", http.StatusInternalServerError)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "", st.ModTime(), f)
	})
	return SameSite(mux), nil
}

// SameSite refuses cross-site requests: unsafe methods from another
// origin (Sec-Fetch-Site, else Origin against Host), and any request a
// browser marks as cross-site other than a top-level navigation, so that
// other sites can neither drive nor embed the page's resources.
func SameSite(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" && r.Header.Get("Sec-Fetch-Mode") != "navigate" {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	}))
}
