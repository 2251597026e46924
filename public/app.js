// Loads the page's WebAssembly (the vugu app for this thread and the
// trainer for the Web Workers) and the default dataset, showing download
// progress, then starts the app. The workers get the trainer as an
// already compiled WebAssembly.Module and the dataset as ArrayBuffers,
// so both are downloaded once however many runs race.
"use strict";

// Saving files: the page's Go code calls these (a run's JSON and CSV,
// a chart, the worker's weights) and the browser downloads them.
window.padaDownload = (name, mime, data) => {
  const url = URL.createObjectURL(new Blob([data], { type: mime }));
  window.padaDownloadURL(url, name);
  setTimeout(() => URL.revokeObjectURL(url), 60000);
};
window.padaDownloadURL = (url, name) => {
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
};

// A chart as a standalone SVG document: the page's colours (which follow
// the theme through CSS) are written into it, so the file looks as the
// chart did.
function chartSVG(box) {
  const svg = box.querySelector("svg.chart");
  if (!svg) return null;
  const copy = svg.cloneNode(true);
  const page = getComputedStyle(box);
  const vb = svg.viewBox.baseVal;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", vb.width);
  copy.setAttribute("height", vb.height);
  copy.setAttribute("color", page.color);
  copy.setAttribute("style", "background:" + page.backgroundColor);
  const bg = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", page.backgroundColor);
  copy.insertBefore(bg, copy.firstChild);
  const live = svg.querySelectorAll(".bg, .halo");
  copy.querySelectorAll(".bg, .halo").forEach((e, i) => {
    const cs = getComputedStyle(live[i]);
    if (e.classList.contains("bg")) e.setAttribute("fill", cs.fill);
    else e.setAttribute("stroke", cs.stroke);
  });
  return { text: '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy), w: vb.width, h: vb.height };
}

window.padaSaveChart = (id, name, format) => {
  const box = document.getElementById(id);
  const svg = box && chartSVG(box);
  if (!svg) return;
  if (format === "svg") {
    window.padaDownload(name, "image/svg+xml", svg.text);
    return;
  }
  // PNG: the SVG drawn on a canvas at twice its size.
  const img = new Image();
  img.onload = () => {
    const c = document.createElement("canvas");
    c.width = svg.w * 2;
    c.height = svg.h * 2;
    const g = c.getContext("2d");
    g.scale(2, 2);
    g.drawImage(img, 0, 0, svg.w, svg.h);
    c.toBlob((b) => window.padaDownload(name, "image/png", b), "image/png");
  };
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg.text);
};

window.padaCopyFailed = (text) => {
  const e = document.querySelector(".copied");
  if (e) e.textContent = "The browser did not allow the clipboard; copy this by hand: " + text;
};

// In an iframe, tell the parent page how tall the page is, whenever that
// changes, so the iframe can fit it (README: "Embed it").
function postHeight() {
  if (window.parent === window || typeof ResizeObserver !== "function") return;
  // The app replaces #app with its own root, so the body is measured: it
  // holds only the page, and its height is the page's.
  const body = document.body;
  let last = 0;
  const send = () => {
    const h = Math.ceil(body.getBoundingClientRect().height);
    if (h > 0 && h !== last) {
      last = h;
      window.parent.postMessage({ padaHeight: h }, "*");
    }
  };
  new ResizeObserver(send).observe(body);
  send();
}

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
  // The trainer (worker.wasm) and the dataset serve only a race in this
  // tab: a share link's replay (#share=ID, the widget too) downloads
  // main.wasm alone, and window.padaLoadTrainer fetches them on its first
  // race (ui/race_js.go awaits it). A normal page loads them at once.
  const trainerFiles = ["worker.wasm",
    "data/fashion16-train-images-idx3-ubyte.gz", "data/fashion16-train-labels-idx1-ubyte.gz",
    "data/fashion16-eval-images-idx3-ubyte.gz", "data/fashion16-eval-labels-idx1-ubyte.gz"];
  const replay = /(^#|&)share=/.test(location.hash);
  const files = replay ? ["main.wasm"] : ["main.wasm", ...trainerFiles];
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
  let trainer = null;
  window.padaLoadTrainer = () => trainer || (trainer = (async () => {
    const bufs = await Promise.all(trainerFiles.map(load));
    const data = {};
    trainerFiles.slice(1).forEach((f, i) => { data[f.slice(5)] = bufs[i + 1]; });
    window.padaWorkerModule = await WebAssembly.compile(bufs[0]);
    window.padaData = data;
  })().catch((err) => { trainer = null; throw err; }));
  try {
    const t0 = performance.now();
    const [mainBuf] = await Promise.all([load("main.wasm"), replay ? null : window.padaLoadTrainer()]);
    text.textContent = "Compiling…";
    const mainMod = await WebAssembly.compile(mainBuf);
    // Each search space's shipped ground-truth table, by space name
    // (groundtruth.DefaultFileFor; ui's TestAppTruthFiles holds this line
    // to it): a race is scored against the table of its own space.
    const truthFiles = {"nb201": "groundtruth-mini.csv", "nb201-small": "groundtruth-nb201small.csv"};
    window.padaTruths = {};
    await Promise.all(Object.entries(truthFiles).map(async ([sp, f]) => {
      try {
        const r = await fetch("data/" + f);
        if (r.ok) window.padaTruths[sp] = await r.text();
      } catch (e) { /* no ground truth: that space's races rank without tau */ }
    }));
    window.padaLoadSeconds = (performance.now() - t0) / 1000;
    window.padaMounted = () => {
      document.getElementById("loading").hidden = true;
      window.padaReady = true;
      try { postHeight(); } catch (e) { console.warn("embed height:", e); }
    };
    const go = new Go();
    const inst = await WebAssembly.instantiate(mainMod, go.importObject);
    go.run(inst).then(() => fail("the page's program exited"));
  } catch (err) {
    fail(err);
  }
})();
