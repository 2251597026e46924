// Runs a GOOS=js GOARCH=wasm binary under node, as Go's
// lib/wasm/wasm_exec_node.js does, and also provides the "gemm" imports
// of core/gemm (simd_js.go): load instantiates the simd128 kernel module
// that Go hands over on Go's own memory, sgemm calls it. public/worker.js
// does the same in the browser.
//
//   PADA_GOROOT=$(go env GOROOT) node --stack-size=8192 run.js prog.wasm [args...]
//
// With PADA_WASM_SIMD=0 load declines, so the pure-Go kernels run.
"use strict";

if (process.argv.length < 3) {
  console.error("usage: run.js [wasm binary] [arguments]");
  process.exit(1);
}
const goroot = process.env.PADA_GOROOT;
if (!goroot) {
  console.error("run.js: PADA_GOROOT is not set (use go_js_wasm_exec)");
  process.exit(1);
}

globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = require("path");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto");
require(path.join(goroot, "lib", "wasm", "wasm_exec.js"));

// gemmImports returns the "gemm" import object; mem() gives Go's memory
// once its instance exists (load is called from Go's init, after that).
function gemmImports(mem, allow) {
  let k = null;
  return {
    load: (p, n) => {
      if (!allow) return 0;
      try {
        const bytes = new Uint8Array(mem().buffer, p >>> 0, n).slice();
        if (!WebAssembly.validate(bytes)) return 0; // no simd128 here
        k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: mem() } }).exports;
        return 1;
      } catch (err) {
        console.error("run.js: gemm kernels:", err);
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

const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;
let inst = null;
go.importObject.gemm = gemmImports(() => inst.exports.mem, process.env.PADA_WASM_SIMD !== "0");
WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject).then((result) => {
  inst = result.instance;
  process.on("exit", (code) => { // node exits if no event handler is pending
    if (code === 0 && !go.exited) {
      // deadlock: make Go print the error and stack traces
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  return go.run(inst);
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
