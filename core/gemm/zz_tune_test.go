package gemm

import (
	"fmt"
	"os"
	"regexp"
	"testing"
)

func TestZZTune(t *testing.T) {
	re := os.Getenv("SHAPES")
	if re == "" {
		t.Skip()
	}
	ws := newWorkspace()
	for _, s := range benchShapes() {
		if !regexp.MustCompile(re).MatchString(s.name) {
			continue
		}
		x := make([]float32, s.m*s.k)
		y := make([]float32, s.k*s.n)
		z := make([]float32, s.m*s.n)
		for i := range x {
			x[i] = float32(i%7+1) * 0.25
		}
		for i := range y {
			y[i] = float32(i%5+1) * 0.5
		}
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		impls := []struct {
			name string
			f    func()
		}{
			{"blocked", func() { blocked(ws, s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n) }},
			{"packed", func() { packed(ws, s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n) }},
		}
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		best := make([]float64, len(impls))
		for rep := 0; rep < 5; rep++ {
			for ii, im := range impls {
				n := 0
				t0 := cpuTime()
				for cpuTime()-t0 < 40e6 || n == 0 {
					im.f()
					n++
				}
				best[ii] = max(best[ii], flops*float64(n)/(cpuTime()-t0).Seconds()/1e9)
			}
		}
		line := fmt.Sprintf("%-26s", s.name)
		for ii, im := range impls {
			line += fmt.Sprintf(" %s %6.2f", im.name, best[ii])
		}
		fmt.Println(line)
	}
}
