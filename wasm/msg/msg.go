// Package msg is what the Web Worker trainer (wasm/worker) and the page
// (ui) say to each other besides the run protocol itself: a Batch wraps
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

// Batch is one postMessage worth of events.
type Batch struct {
	Events []run.Event `json:"events"`
	// Thumbs maps a training-set id (as in sampler.Summary Top and
	// Bottom) to its raw pixels, channel-major, for the ids of this
	// batch's epoch events that the page has not been sent before.
	Thumbs map[int][]byte `json:"thumbs,omitempty"`
	// Labels maps the same ids to their class.
	Labels map[int]int `json:"labels,omitempty"`
	// Shape of a thumbnail.
	C int `json:"c,omitempty"`
	H int `json:"h,omitempty"`
	W int `json:"w,omitempty"`
	// Mem is the worker's WebAssembly memory in bytes.
	Mem int64 `json:"mem"`
	// Images is how many training images the worker has pushed through
	// forward and backward so far, and Busy the seconds it spent doing so
	// (paused time excluded): Images/Busy is its throughput.
	Images int     `json:"images"`
	Busy   float64 `json:"busy"`
}
