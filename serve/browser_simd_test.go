package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// simdCheck runs core/gemm's kernel module in the page, on a memory of its
// own, for every transpose on a 5×11 product with k = 7 (a whole and an
// edge tile in both directions) and beta = 0.5, and compares every element
// with the pure-Go kernel's order of operations computed in float32 by
// JS (Math.fround after each operation): the answer is "ok", or what
// differs, or "no simd128" when the engine cannot validate the module.
const simdCheck = `(() => {
  const bytes = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return "no simd128";
  const mem = new WebAssembly.Memory({ initial: 32 });
  const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports;
  const f = new Float32Array(mem.buffer);
  const m = 5, n = 11, kk = 7, A = 0, B = 1024, C = 4096, WS = 8192, beta = 0.5;
  for (const tA of [0, 1]) for (const tB of [0, 1]) {
    const lda = (tA ? m : kk) + 1, ldb = (tB ? kk : n) + 2, ldc = n + 3;
    for (let i = 0; i < WS; i++) f[i] = Math.sin(i * 0.7 + tA + 2 * tB);
    const c0 = f.slice(C, C + m * ldc);
    k.sgemm(tA, tB, m, n, kk, 1, A * 4, lda, B * 4, ldb, beta, C * 4, ldc, WS * 4, 65568);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < kk; l++) {
        const a = f[A + (tA ? l * lda + i : i * lda + l)], b = f[B + (tB ? j * ldb + l : l * ldb + j)];
        s = Math.fround(s + Math.fround(a * b));
      }
      const want = Math.fround(Math.fround(beta * c0[i * ldc + j]) + s), got = f[C + i * ldc + j];
      if (got !== want) return "tA=" + tA + " tB=" + tB + " c[" + i + "][" + j + "] = " + got + ", want " + want;
    }
  }
  return "ok";
})()`

// TestBrowserSIMDKernels checks that the headless Chromium the page is
// tested in validates the simd128 kernel module (so its workers run it
// rather than the pure-Go fallback) and that the module computes there
// exactly what the pure-Go kernel computes.
func TestBrowserSIMDKernels(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "core", "gemm", "simd.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, url, logs := browserOrSkip(t, 1366, 768)
	openPage(t, ctx, url+"/")
	var got string
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(simdCheck, base64.StdEncoding.EncodeToString(mod)), &got)); err != nil {
		t.Fatal(err)
	}
	if got != "ok" {
		t.Fatalf("simd128 kernel module in Chromium: %s", got)
	}
	if msgs := logs.all(); len(msgs) > 0 {
		t.Errorf("console errors: %q", msgs)
	}
}
