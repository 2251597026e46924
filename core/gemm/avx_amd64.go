//go:build !purego

package gemm

import (
	"os"

	"golang.org/x/sys/cpu"
)

// hasAVX says whether this CPU runs kernel6x16 (AVX2 with FMA). The
// build tag purego leaves the assembly out, for comparison.
var hasAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// HasAVX512 says whether this CPU runs AVX-512 (foundation) code: package
// nn's direct convolution kernels use it, and Kernel reports it, so that
// the one check decides both. The environment variable PADA_NO_AVX512=1
// turns it off, so that the tests of any package (the PyTorch parity test
// among them) can run on the AVX2 path of an AVX-512 CPU.
var HasAVX512 = hasAVX && cpu.X86.HasAVX512F && os.Getenv("PADA_NO_AVX512") != "1"

// kernel6x16 is in avx_amd64.s.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int)
