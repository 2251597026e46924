//go:build !purego

package nn

import "pada/core/gemm"

// has512 says whether this CPU runs the AVX-512 kernels of the direct 3x3
// convolution (conv3_amd64.s); gemm.Kernel reports the same. The build
// tag purego leaves them out.
var has512 = gemm.HasAVX512

// convTile8x32 and wgradTile4x3 are in conv3_amd64.s.

//go:noescape
func convTile8x32(a, b, c *float32, ldc, cin, lc int, offs *int, taps int)

//go:noescape
func wgradTile4x3(y, x *float32, offs *int, ldy, n int, out *float32)

//go:noescape
func reluPlanes(x *float32, n int)

//go:noescape
func maskPositive(x, m *float32, n int)
