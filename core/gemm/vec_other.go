//go:build !js

package gemm

// Natively the vector kernels are the Go loops (nn has AVX-512 versions
// of the ReLU ones where they pay).

func vecReLU(x []float32)                                   { reluGo(x) }
func vecMask(x, m []float32)                                { maskGo(x, m) }
func vecAdd(dst, src []float32)                             { addGo(dst, src) }
func vecAddConst(x []float32, c float32)                    { addConstGo(x, c) }
func vecNormalize(x []float32, m, is float32)               { normalizeGo(x, m, is) }
func vecBNGrad(dx, dy, xh []float32, is, mdy, mdyx float32) { bnGradGo(dx, dy, xh, is, mdy, mdyx) }
func vecSum64(x []float32) float64                          { return sum64Go(x) }
func vecSqDev64(x []float32, m float64) float64             { return sqDev64Go(x, m) }
func vecDot64(x, y []float32) (sx, sxy float64)             { return dot64Go(x, y) }

func pool3Back(ds, dd []float32, planes, h, w int, cs *[MaxPoolW + 2]float32, inv *[MaxPoolW]float32) {
	pool3BackGo(ds, dd, planes, h, w, cs, inv)
}
