//go:build !amd64 || purego

package gemm

const hasAVX = false

// HasAVX512 is false without the assembly kernels.
const HasAVX512 = false

func kernel6x16(k int, a, b, c *float32, ldc int) { panic("gemm: no AVX kernel on this target") }
