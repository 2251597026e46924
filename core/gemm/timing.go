package gemm

import "time"

// Timing, for bench/speed: while on, the browser build (sgemm_js.go)
// adds the wall time of every single-threaded product to a total, so a
// benchmark can say what share of a training step the matrix products
// take. Natively nothing is timed (products run on several goroutines)
// and Timed stays 0. Not safe for concurrent use; off by default.
var (
	timing bool
	timed  time.Duration
)

// SetTiming turns timing on or off and resets the total.
func SetTiming(on bool) { timing, timed = on, 0 }

// Timed is the time spent in products since SetTiming(true).
func Timed() time.Duration { return timed }
