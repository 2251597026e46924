//go:build !(js && wasm)

package ui

import "pada/core/run"

// race does nothing outside the browser: natively the component is only
// rendered and tested.
type race struct {
	gen    int
	native bool // the current race trains on the native server
}

func (*race) setHash(string)            {}
func (*race) start(*Root, []run.Config) {}
func (*race) send(string)               {}
func (*race) stop()                     {}
func (*race) probe(*Root)               {}

// Start does nothing outside the browser.
func (c *Root) Start() {}
