# Build, test and benchmark the project. `make test` is what CI runs.
GO      ?= go
SITE    ?= site
GOROOT  := $(shell $(GO) env GOROOT)

.PHONY: all build test test-short vet wasm-vet bench bench-speed site clean screenshots test-wasm edge edge-dev

all: build

build:
	$(GO) build ./...

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./core/... ./wasm/... ./ui/

test: vet
	$(GO) test -timeout 60m ./...
	$(MAKE) --no-print-directory test-wasm

# The packages that link core/gemm's simd128 kernel module, compiled to
# WebAssembly and run under node (20 in CI) through tools/wasmexec: Go's
# stock go_js_wasm_exec cannot provide the module's imports. With
# PADA_REQUIRE_SIMD=1 the kernel tests fail, not skip, when node did not
# load the module. The PyTorch and SciPy references run natively (wasm
# cannot start a process), so PADA_REQUIRE_REFS is cleared here.
WASM_PKGS ?= ./core/gemm/... ./core/nn/ ./core/supernet/ ./core/train/ ./core/checkpoint/ ./core/groundtruth/ ./core/run/
test-wasm:
	PADA_REQUIRE_REFS= GOOS=js GOARCH=wasm PADA_REQUIRE_SIMD=1 $(GO) test -timeout 60m -exec $(CURDIR)/tools/wasmexec/go_js_wasm_exec $(WASM_PKGS)

# The quick subset: no PyTorch parity, no browser.
test-short:
	$(GO) test -short ./...

# Micro-benchmarks of the kernels (ratios against peers in the same run).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2x ./core/...

# Training speed: Go native, Go wasm under node, PyTorch; both shapes.
bench-speed:
	$(GO) run ./bench/speed

clean:
	rm -rf $(SITE)

# The static site (page, wasm binaries with .gz copies, wasm_exec.js from
# this Go, default dataset) in $(SITE)/, for any static host.
site:
	$(GO) run ./serve web -out $(SITE)

# Screenshots of a race starting, in progress and finished at 1366x768,
# 1920x1080, 768x1024 and 390x844, in dark mode and with large text, and
# of the page embedded in a 700 px blog column, into $(SHOTS)/ (headless
# Chromium).
SHOTS ?= screenshots
screenshots:
	PADA_SCREENSHOTS=$(abspath $(SHOTS)) $(GO) test -count=1 -timeout 40m -run '^(TestScreenshots|TestBrowserEmbedFrame)$$' -v ./serve

# The Cloudflare Worker (wasm/edge: the share API over D1) in edge/build
# and the site it serves as static assets in edge/site; edge-dev runs it
# on http://127.0.0.1:8787 with wrangler from edge/package-lock.json
# (npm ci in edge/ first). See the README's "Publishing" section.
EDGE ?= edge
edge:
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(EDGE)/build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(EDGE)/build/app.wasm ./wasm/edge
	$(GO) run ./serve web -out $(EDGE)/site
	@echo "edge: app.wasm $$(wc -c < $(EDGE)/build/app.wasm) bytes, $$(gzip -9 -c $(EDGE)/build/app.wasm | wc -c) gzipped (free-plan Worker limit: 3 MiB compressed)"

WRANGLER = ./node_modules/.bin/wrangler
edge-dev: edge
	@test -x $(EDGE)/$(WRANGLER) || { echo "edge-dev: no wrangler in $(EDGE)/node_modules: run (cd $(EDGE) && npm ci)"; exit 1; }
	cd $(EDGE) && $(WRANGLER) d1 execute pada-shares --local --file schema.sql
	cd $(EDGE) && $(WRANGLER) dev --ip 127.0.0.1 --port 8787
