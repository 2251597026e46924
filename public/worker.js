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

async function boot(module, url) {
  booted = true;
  try {
    const go = new Go();
    let exitCode = 0;
    const exit = go.exit;
    go.exit = (code) => { exitCode = code; exit.call(go, code); };
    let inst;
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
