//go:build js && wasm

// Command page is the page's main-thread program: it mounts the vugu app
// (package ui) on #app and re-renders it on every event.
package main

import (
	"syscall/js"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/domrender"

	"pada/ui"
)

func main() {
	renderer, err := domrender.New("#app")
	if err != nil {
		panic(err)
	}
	defer renderer.Release()
	env := renderer.EventEnv()
	buildEnv, err := vugu.NewBuildEnv(env)
	if err != nil {
		panic(err)
	}
	root := ui.NewRoot(env, js.Global().Get("location").Get("hash").String())
	started := false
	for ok := true; ok; ok = renderer.EventWait() {
		if err := renderer.Render(buildEnv.RunBuild(root)); err != nil {
			panic(err)
		}
		if !started {
			started = true
			if f := js.Global().Get("padaMounted"); f.Type() == js.TypeFunction {
				f.Invoke()
			}
			go root.Start()
		}
	}
}
