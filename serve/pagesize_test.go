package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxPageBrotli is the page's download budget (issue 10): every file the
// page fetches before it can train, as the server sends it (brotli).
const maxPageBrotli = 2_000_000

// TestPageDownloadSize keeps the built site's code under the budget, so a
// dependency that slips into main.wasm or worker.wasm fails here, not in
// a reader's tab. The data files (dataset, tables) are not code and are
// fetched once per race.
func TestPageDownloadSize(t *testing.T) {
	dir := siteOrSkip(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.br"))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	var parts []string
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
		parts = append(parts, fmt.Sprintf("%s %d", filepath.Base(f), fi.Size()))
	}
	for _, want := range []string{"main.wasm.br", "worker.wasm.br", "app.js.br", "worker.js.br"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("the site has no %s: %v", want, err)
		}
	}
	t.Logf("page download %d bytes brotli: %s", total, strings.Join(parts, ", "))
	if total > maxPageBrotli {
		t.Errorf("page download %d bytes brotli, over the %d budget: %s", total, maxPageBrotli, strings.Join(parts, ", "))
	}
}
