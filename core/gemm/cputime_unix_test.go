//go:build unix

package gemm

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time used by the whole process so far. Benchmarks
// report GFLOP/s per CPU second as well as per wall second because the
// machines they run on are shared: time-slicing with other processes
// stretches wall time but not CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
