//go:build !(js && wasm)

package ui

import "pada/core/run"

// race does nothing outside the browser: natively the component is only
// rendered and tested.
type race struct{ gen int }

func (*race) setHash(string)            {}
func (*race) start(*Root, []run.Config) {}
func (*race) send(string)               {}
func (*race) stop()                     {}

// Start does nothing outside the browser.
func (c *Root) Start() {}
