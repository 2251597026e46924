//go:build race

package gemm

// raceEnabled skips the allocation tests: under the race detector
// sync.Pool drops items on purpose, so Sgemm's scratch is reallocated.
const raceEnabled = true
