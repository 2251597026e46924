// Loads the page's WebAssembly (the vugu app for this thread and the
// trainer for the Web Workers) and the default dataset, showing download
// progress, then starts the app. The workers get the trainer as an
// already compiled WebAssembly.Module and the dataset as ArrayBuffers,
// so both are downloaded once however many runs race.
"use strict";

(async function () {
  const text = document.getElementById("loading-text");
  const bar = document.getElementById("loading-bar");
  const detail = document.getElementById("loading-detail");
  const fail = (err) => {
    text.textContent = "The page could not start: " + (err && err.message ? err.message : err);
    text.className = "err";
    console.error(err);
  };
  if (typeof WebAssembly !== "object" || typeof Worker !== "function") {
    fail("this browser lacks WebAssembly or Web Workers");
    return;
  }
  let manifest = {};
  try {
    const r = await fetch("manifest.json", { cache: "no-cache" });
    if (r.ok) manifest = await r.json();
  } catch (e) { /* sizes are only for the progress bar */ }
  const v = manifest.version ? "?v=" + manifest.version : "";
  const sizes = manifest.sizes || {};
  const files = ["main.wasm", "worker.wasm",
    "data/fashion16-train-images-idx3-ubyte.gz", "data/fashion16-train-labels-idx1-ubyte.gz",
    "data/fashion16-eval-images-idx3-ubyte.gz", "data/fashion16-eval-labels-idx1-ubyte.gz"];
  const got = {};
  const total = () => files.reduce((s, f) => s + (sizes[f] || 0), 0);
  const update = () => {
    const t = total();
    const g = files.reduce((s, f) => s + (got[f] || 0), 0);
    if (t > 0) bar.value = Math.min(1, g / t);
    detail.textContent = (g / 1048576).toFixed(1) + " MB" + (t > 0 ? " of " + (t / 1048576).toFixed(1) + " MB" : "");
  };
  async function load(name) {
    const r = await fetch(name + (name.endsWith(".wasm") ? v : ""));
    if (!r.ok) throw new Error(name + ": HTTP " + r.status);
    if (!sizes[name]) {
      const n = +r.headers.get("Content-Length");
      if (n && !r.headers.get("Content-Encoding")) sizes[name] = n;
    }
    const reader = r.body.getReader();
    const parts = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.length;
      got[name] = n;
      update();
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out.buffer;
  }
  try {
    const t0 = performance.now();
    const bufs = await Promise.all(files.map(load));
    text.textContent = "Compiling…";
    const [mainMod, workerMod] = await Promise.all([WebAssembly.compile(bufs[0]), WebAssembly.compile(bufs[1])]);
    window.padaWorkerModule = workerMod;
    window.padaData = {};
    files.slice(2).forEach((f, i) => { window.padaData[f.slice(5)] = bufs[i + 2]; });
    try {
      const r = await fetch("data/groundtruth-mini.csv");
      if (r.ok) window.padaTruth = await r.text();
    } catch (e) { /* no ground truth: the page ranks without tau */ }
    window.padaLoadSeconds = (performance.now() - t0) / 1000;
    window.padaMounted = () => {
      document.getElementById("loading").hidden = true;
      window.padaReady = true;
    };
    const go = new Go();
    const inst = await WebAssembly.instantiate(mainMod, go.importObject);
    go.run(inst).then(() => fail("the page's program exited"));
  } catch (err) {
    fail(err);
  }
})();
