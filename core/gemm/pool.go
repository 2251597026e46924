package gemm

// AvgPool3Backward adds to ds the input gradient of a 3x3, stride-1,
// padding-1 average pool (padding not counted) with output gradient dd,
// over planes h×w planes: input pixel (y, x) collects the gradients of
// the outputs around it, each divided by its window's size, as a 3x3 sum
// of column sums. Planes wider than MaxPoolW are the caller's (nn loops
// over them directly). In the browser it runs on the simd128 module.
func AvgPool3Backward(ds, dd []float32, planes, h, w int) {
	if planes <= 0 || h <= 0 || w <= 0 {
		return
	}
	if w > MaxPoolW {
		panic("gemm: AvgPool3Backward plane wider than MaxPoolW")
	}
	_, _ = ds[planes*h*w-1], dd[planes*h*w-1]
	var cs [MaxPoolW + 2]float32 // column sums, zero at both ends
	var inv [MaxPoolW]float32    // 1 / (window width) of each output column
	for x := 0; x < w; x++ {
		cx := 3
		if x == 0 || x == w-1 {
			cx = min(w, 2)
		}
		inv[x] = 1 / float32(cx)
	}
	pool3Back(ds, dd, planes, h, w, &cs, &inv)
}

// MaxPoolW is the widest plane AvgPool3Backward takes (its column sums
// live on the stack).
const MaxPoolW = 64

func pool3BackGo(ds, dd []float32, planes, h, w int, cs *[MaxPoolW + 2]float32, inv *[MaxPoolW]float32) {
	for pl := 0; pl < planes; pl++ {
		ds := ds[pl*h*w : (pl+1)*h*w]
		dd := dd[pl*h*w : (pl+1)*h*w]
		for y := 0; y < h; y++ {
			// Column sums of the outputs whose window holds row y, each
			// divided by its window's height, then by its width.
			c := cs[1 : w+1]
			clear(c)
			for yy := max(y-1, 0); yy <= min(y+1, h-1); yy++ {
				ry := min(yy+1, h-1) - max(yy-1, 0) + 1
				a := 1 / float32(ry)
				src := dd[yy*w : yy*w+w]
				for i, v := range src {
					c[i] += a * v
				}
			}
			for x := range c {
				c[x] *= inv[x]
			}
			row := ds[y*w : (y+1)*w]
			for x := range row {
				row[x] += cs[x] + cs[x+1] + cs[x+2]
			}
		}
	}
}
