//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

// hasAVX says whether this CPU runs kernel6x16 (AVX2 with FMA). The
// build tag purego leaves the assembly out, for comparison.
var hasAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// HasAVX512 says whether this CPU runs AVX-512 (foundation) code: package
// nn's direct convolution kernels use it, and Kernel reports it, so that
// the one check decides both.
var HasAVX512 = hasAVX && cpu.X86.HasAVX512F

// kernel6x16 is in avx_amd64.s.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int)
