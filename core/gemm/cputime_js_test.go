package gemm

import (
	"syscall/js"
	"time"
)

// cpuTime is the CPU time used by the node process so far (see
// cputime_unix_test.go); in a browser, where there is no process, it is 0.
func cpuTime() time.Duration {
	p := js.Global().Get("process")
	if p.IsUndefined() || p.Get("cpuUsage").IsUndefined() {
		return 0
	}
	u := p.Call("cpuUsage")
	return time.Duration(u.Get("user").Float()+u.Get("system").Float()) * time.Microsecond
}
