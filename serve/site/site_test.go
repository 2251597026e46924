package site

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestWebRefusesCrossSite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644)
	h, err := Handler(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method string
		hdr    map[string]string
		code   int
	}{
		{"GET", nil, 200},
		{"GET", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"GET", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, 200},
		{"GET", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, 403},
		{"POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST", map[string]string{"Origin": "https://evil.example"}, 403},
		{"POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 405},
		{"PUT", nil, 405},
	} {
		req := httptest.NewRequest(tc.method, "http://127.0.0.1:8080/", nil)
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("%s %v: status %d, want %d", tc.method, tc.hdr, rec.Code, tc.code)
		}
	}
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{
		"a.wasm": "application/wasm", "b.js": "text/javascript; charset=utf-8",
		"c.gz": "application/gzip", "d.csv": "text/csv; charset=utf-8", "e.bin": "application/octet-stream",
	} {
		if got := ContentType(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
