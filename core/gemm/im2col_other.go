//go:build !js

package gemm

func im2colSame(col, src []float32, n, h, w, k, pad int) { im2colSameGo(col, src, n, h, w, k, pad) }
func col2imSame(acc, col []float32, n, h, w, k, pad int) { col2imSameGo(acc, col, n, h, w, k, pad) }
func im2colGen(col, src []float32, n, h, w, k, pad, stride, ho, wo int) {
	im2colGo(col, src, n, h, w, k, pad, stride, ho, wo)
}
func col2imGen(acc, col []float32, n, h, w, k, pad, stride, ho, wo int) {
	col2imGo(acc, col, n, h, w, k, pad, stride, ho, wo)
}
