// Package msg is what the Web Worker trainer (wasm/worker) and the page
// (ui) say to each other besides the run protocol itself: a Batch
// (run.Batch) wraps
// the run.Events posted in one postMessage together with what the page
// cannot compute on its own (thumbnails of the examples the data sampler
// favours, the worker's memory).
//
// Messages from the page to a worker are JS objects:
//
//	{type: "init", module: WebAssembly.Module}   (worker.js: boot Go)
//	{type: "start", config: "<Config JSON>", data: {file: ArrayBuffer, ...}, truth: "<CSV>"?}
//	{type: "pause"} {type: "resume"} {type: "step"} {type: "stop"}
//	{type: "weights"}   save the supernet now (also after the run is done)
//
// Messages from a worker to the page:
//
//	{type: "ready"}                        Go is running and listening
//	{type: "batch", json: "<Batch JSON>"}  events since the last batch
//	{type: "state", state: "running"|"paused"|"stopped"|"done"}
//	{type: "error", field: "epochs"?, error: "..."}  the run is over
//	{type: "weights", npz: ArrayBuffer}    the weights as .npz (state_dict keys, with a probe), transferred
//	{type: "weights-error", error: "..."}  why they could not be written
package msg

import "pada/core/run"

// Batch is one postMessage worth of events: run.Batch, which the server's
// thumbs API answers with too.
type Batch = run.Batch
