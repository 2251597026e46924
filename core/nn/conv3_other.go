//go:build !amd64 || purego

package nn

const has512 = false

func convTile8x32(a, b, c *float32, ldc, cin, lc int, offs *int, taps int) {
	panic("nn: no AVX-512 kernel on this target")
}

func wgradTile4x3(y, x *float32, offs *int, ldy, n int, out *float32) {
	panic("nn: no AVX-512 kernel on this target")
}

func reluPlanes(x *float32, n int) { panic("nn: no AVX-512 kernel on this target") }

func maskPositive(x, m *float32, n int) { panic("nn: no AVX-512 kernel on this target") }
