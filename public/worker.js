// Bootstrap of the Web Worker trainer (Go, wasm/worker). Messages that
// arrive before Go has installed its handler are queued, then handed over
// in order. The page sends {type: "init", module} with the compiled
// WebAssembly.Module (compiled once for all workers); without a module
// the worker fetches worker.wasm itself.
"use strict";
importScripts("wasm_exec.js");

const queue = [];
let handler = null;
let booted = false;

function drain() {
  while (handler && queue.length) handler(queue.shift());
}

// Called by Go once it listens.
self.padaReady = (h) => {
  handler = h;
  setTimeout(drain, 0);
};

// gemmImports is the "gemm" import module that Go's core/gemm expects
// (simd_js.go): load is called once by Go's init with the bytes of the
// simd128 kernel module; when this engine validates it (simd128 is in
// Chrome 91+, Firefox 89+, Safari 16.4+), it is instantiated on Go's own
// memory and sgemm forwards to it; otherwise load returns 0 and Go runs
// its pure-Go kernels. mem() is Go's memory, which exists by then.
// tools/wasmexec/run.js does the same under node.
function gemmImports(mem) {
  let k = null;
  return {
    load: (p, n) => {
      try {
        const bytes = new Uint8Array(mem().buffer, p >>> 0, n).slice();
        if (!WebAssembly.validate(bytes)) return 0;
        k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: mem() } }).exports;
        return 1;
      } catch (err) {
        console.warn("worker: simd128 kernels unavailable:", err);
        return 0;
      }
    },
    sgemm: (tA, tB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc, ws, wsLen) =>
      k.sgemm(tA, tB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc, ws, wsLen),
    im2col: (col, src, n, h, w, kk, pad) => k.im2col(col, src, n, h, w, kk, pad),
    col2im: (acc, col, n, h, w, kk, pad) => k.col2im(acc, col, n, h, w, kk, pad),
    im2cols: (col, src, n, h, w, kk, pad, st, ho, wo) => k.im2cols(col, src, n, h, w, kk, pad, st, ho, wo),
    col2ims: (acc, col, n, h, w, kk, pad, st, ho, wo) => k.col2ims(acc, col, n, h, w, kk, pad, st, ho, wo),
    // The elementwise kernels (core/gemm/vec_js.go).
    relu: (x, n) => k.relu(x, n),
    mask: (x, m, n) => k.mask(x, m, n),
    vadd: (d, s, n) => k.vadd(d, s, n),
    addc: (x, n, a, b) => k.addc(x, n, a, b),
    norm: (x, n, a, b) => k.norm(x, n, a, b),
    bngrad: (dx, dy, xh, n, is, mdy, mdyx) => k.bngrad(dx, dy, xh, n, is, mdy, mdyx),
    sum64: (x, n) => k.sum64(x, n),
    sqdev64: (x, n, m) => k.sqdev64(x, n, m),
    dot64: (x, y, n, out) => k.dot64(x, y, n, out),
    pool3back: (ds, dd, planes, h, w, cs, inv) => k.pool3back(ds, dd, planes, h, w, cs, inv),
  };
}

async function boot(module, url) {
  booted = true;
  try {
    const go = new Go();
    let inst;
    go.importObject.gemm = gemmImports(() => inst.exports.mem);
    let exitCode = 0;
    const exit = go.exit;
    go.exit = (code) => { exitCode = code; exit.call(go, code); };
    if (module) {
      inst = await WebAssembly.instantiate(module, go.importObject);
    } else {
      const r = await WebAssembly.instantiateStreaming(fetch(url || "worker.wasm"), go.importObject);
      inst = r.instance;
    }
    self.padaMem = () => inst.exports.mem.buffer.byteLength;
    await go.run(inst);
    self.postMessage({ type: "exit", code: exitCode });
  } catch (err) {
    self.postMessage({ type: "error", error: "worker: " + (err && err.message ? err.message : String(err)) });
  }
}

self.onmessage = (e) => {
  const m = e.data;
  if (m && m.type === "init") {
    if (!booted) boot(m.module, m.url);
    return;
  }
  queue.push(m);
  if (!booted) boot(null, null);
  drain();
};

self.onerror = (e) => {
  self.postMessage({ type: "error", error: "worker: " + (e.message || String(e)) });
};
