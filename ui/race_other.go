//go:build !(js && wasm)

package ui

import "pada/core/run"

// race does nothing outside the browser: natively the component is only
// rendered and tested.
type race struct {
	gen    int
	native bool // the current race trains on the native server
}

func (*race) setHash(string)                    {}
func (*race) start(*Root, []run.Config)         {}
func (*race) send(string)                       {}
func (*race) stop()                             {}
func (*race) probe(*Root)                       {}
func (*race) pageURL() string                   { return "http://127.0.0.1:8080/" }
func (*race) copy(string) bool                  { return false }
func (*race) download(name, mime, text string)  {}
func (*race) downloadURL(url, name string)      {}
func (*race) askWeights(i int, name string)     {}
func (*race) saveChart(id, name, format string) {}

// Start does nothing outside the browser.
func (c *Root) Start() {}
