package gemm

import "unsafe"

// The module's vector kernels (internal/simdgen/vec.go): addresses of
// Go's slices and lengths in floats, n > 0. Each Go function below falls
// back on the Go loop when the module is not loaded. The kernels keep no
// pointer (noescape), so a caller's stack array stays on the stack.

//go:noescape
//go:wasmimport gemm relu
func simdReLU(x unsafe.Pointer, n int32)

//go:noescape
//go:wasmimport gemm mask
func simdMask(x, m unsafe.Pointer, n int32)

//go:noescape
//go:wasmimport gemm vadd
func simdAdd(dst, src unsafe.Pointer, n int32)

//go:noescape
//go:wasmimport gemm addc
func simdAddConst(x unsafe.Pointer, n int32, c, unused float32)

//go:noescape
//go:wasmimport gemm norm
func simdNormalize(x unsafe.Pointer, n int32, m, is float32)

//go:noescape
//go:wasmimport gemm bngrad
func simdBNGrad(dx, dy, xh unsafe.Pointer, n int32, is, mdy, mdyx float32)

//go:noescape
//go:wasmimport gemm sum64
func simdSum64(x unsafe.Pointer, n int32) float64

//go:noescape
//go:wasmimport gemm sqdev64
func simdSqDev64(x unsafe.Pointer, n int32, m float64) float64

//go:noescape
//go:wasmimport gemm dot64
func simdDot64(x, y unsafe.Pointer, n int32, out unsafe.Pointer)

func vecReLU(x []float32) {
	if !simdOn {
		reluGo(x)
		return
	}
	simdReLU(unsafe.Pointer(&x[0]), int32(len(x)))
}

func vecMask(x, m []float32) {
	if !simdOn {
		maskGo(x, m)
		return
	}
	simdMask(unsafe.Pointer(&x[0]), unsafe.Pointer(&m[0]), int32(len(x)))
}

func vecAdd(dst, src []float32) {
	if !simdOn {
		addGo(dst, src)
		return
	}
	simdAdd(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), int32(len(src)))
}

func vecAddConst(x []float32, c float32) {
	if !simdOn {
		addConstGo(x, c)
		return
	}
	simdAddConst(unsafe.Pointer(&x[0]), int32(len(x)), c, 0)
}

func vecNormalize(x []float32, m, is float32) {
	if !simdOn {
		normalizeGo(x, m, is)
		return
	}
	simdNormalize(unsafe.Pointer(&x[0]), int32(len(x)), m, is)
}

func vecBNGrad(dx, dy, xh []float32, is, mdy, mdyx float32) {
	if !simdOn {
		bnGradGo(dx, dy, xh, is, mdy, mdyx)
		return
	}
	simdBNGrad(unsafe.Pointer(&dx[0]), unsafe.Pointer(&dy[0]), unsafe.Pointer(&xh[0]), int32(len(dy)), is, mdy, mdyx)
}

func vecSum64(x []float32) float64 {
	if !simdOn {
		return sum64Go(x)
	}
	return simdSum64(unsafe.Pointer(&x[0]), int32(len(x)))
}

func vecSqDev64(x []float32, m float64) float64 {
	if !simdOn {
		return sqDev64Go(x, m)
	}
	return simdSqDev64(unsafe.Pointer(&x[0]), int32(len(x)), m)
}

// dotOut receives dot64's two sums (one wasm program, one thread).
var dotOut [2]float64

func vecDot64(x, y []float32) (sx, sxy float64) {
	if !simdOn {
		return dot64Go(x, y)
	}
	simdDot64(unsafe.Pointer(&x[0]), unsafe.Pointer(&y[0]), int32(len(x)), unsafe.Pointer(&dotOut[0]))
	return dotOut[0], dotOut[1]
}

//go:noescape
//go:wasmimport gemm pool3back
func simdPool3Back(ds, dd unsafe.Pointer, planes, h, w int32, cs, inv unsafe.Pointer)

func pool3Back(ds, dd []float32, planes, h, w int, cs *[MaxPoolW + 2]float32, inv *[MaxPoolW]float32) {
	if !simdOn {
		pool3BackGo(ds, dd, planes, h, w, cs, inv)
		return
	}
	simdPool3Back(unsafe.Pointer(&ds[0]), unsafe.Pointer(&dd[0]), int32(planes), int32(h), int32(w), unsafe.Pointer(&cs[0]), unsafe.Pointer(&inv[0]))
}
