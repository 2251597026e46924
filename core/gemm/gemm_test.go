package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"pada/core/par"
)

// problem is one Sgemm call with its operands laid out in memory.
type problem struct {
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

// newProblem fills A, B and C with random values; pad is added to every
// leading dimension so that kernels which ignore it read the wrong data.
// A C filled with NaN checks that beta == 0 overwrites rather than scales.
func newProblem(rng *rand.Rand, tA, tB bool, m, n, k, pad int, alpha, beta float32, nanC bool) *problem {
	p := &problem{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	rowsA, colsA := m, k
	if tA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if tB {
		rowsB, colsB = n, k
	}
	p.lda, p.ldb, p.ldc = max(1, colsA)+pad, max(1, colsB)+pad, max(1, n)+pad
	p.a = randSlice(rng, rowsA*p.lda)
	p.b = randSlice(rng, rowsB*p.ldb)
	p.c = randSlice(rng, m*p.ldc)
	if nanC {
		for i := range p.c {
			p.c[i] = float32(math.NaN())
		}
	}
	return p
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// naive returns the expected C, computed in float64, and for each element
// a bound on the rounding error a float32 summation may make.
func (p *problem) naive() (want, tol []float64) {
	want = make([]float64, len(p.c))
	tol = make([]float64, len(p.c))
	for i := range p.c {
		want[i] = float64(p.c[i]) // padding between rows must be kept
	}
	const eps = 1.0 / (1 << 24)
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			var sum, mag float64
			for l := 0; l < p.k; l++ {
				ia, ib := i*p.lda+l, l*p.ldb+j
				if p.tA {
					ia = l*p.lda + i
				}
				if p.tB {
					ib = j*p.ldb + l
				}
				av, bv := p.a[ia], p.b[ib]
				sum += float64(av) * float64(bv)
				mag += math.Abs(float64(av) * float64(bv))
			}
			cv := float64(p.c[i*p.ldc+j])
			v := float64(p.alpha) * sum
			mag = math.Abs(float64(p.alpha)) * mag
			if p.beta != 0 {
				v += float64(p.beta) * cv
				mag += math.Abs(float64(p.beta) * cv)
			}
			want[i*p.ldc+j] = v
			tol[i*p.ldc+j] = 4*float64(p.k+2)*eps*mag + 1e-30
		}
	}
	return want, tol
}

func (p *problem) run(c []float32) {
	Sgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
}

type sgemmFunc func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// testWS is the scratch of the "blocked" implementation below.
var testWS = newWorkspace()

// impls are the products under test: Sgemm, and the pure-Go kernel on its
// own, since natively Sgemm mostly runs gonum's.
var impls = []struct {
	name string
	f    sgemmFunc
}{
	{"Sgemm", Sgemm},
	{"blocked", guarded(testWS, blocked)},
}

// guarded gives a kernel that expects m, n, k > 0 and alpha != 0 Sgemm's
// argument checks and trivial cases, with ws as its scratch.
func guarded(ws *workspace, f func(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) sgemmFunc {
	return func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
		if m == 0 || n == 0 {
			return
		}
		if alpha == 0 || k == 0 {
			scale(m, n, beta, c, ldc)
			return
		}
		f(ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

func (p *problem) runWith(f sgemmFunc, c []float32) {
	f(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
}

func (p *problem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%v beta=%v",
		p.tA, p.tB, p.m, p.n, p.k, p.lda, p.ldb, p.ldc, p.alpha, p.beta)
}

// check reports the first element of got that is not within tolerance.
func check(t *testing.T, p *problem, got []float32, want, tol []float64) {
	t.Helper()
	for i := range got {
		g := float64(got[i])
		if math.IsNaN(want[i]) && math.IsNaN(g) { // untouched NaN padding
			continue
		}
		if !(math.Abs(g-want[i]) <= tol[i]) {
			t.Fatalf("%v: c[%d] (row %d, col %d) = %v, want %v ± %g",
				p, i, i/p.ldc, i%p.ldc, g, want[i], tol[i])
		}
	}
}

// checkImpls runs p with every implementation and checks the results.
func checkImpls(t *testing.T, p *problem) {
	t.Helper()
	want, tol := p.naive()
	for _, im := range impls {
		got := append([]float32(nil), p.c...)
		p.runWith(im.f, got)
		check(t, p, got, want, tol)
	}
}

func TestSgemmSizes(t *testing.T) {
	sizes := []int{1, 3, 7, 17, 63, 65, 129}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range sizes {
						checkImpls(t, newProblem(rng, tA, tB, m, n, k, (m+n+k)%3, 1, 0, false))
					}
				}
			}
		}
	}
}

// TestSgemmCases crosses the block boundaries (kc, mc, nc) and exercises
// alpha, beta and leading dimensions.
func TestSgemmCases(t *testing.T) {
	tests := []struct {
		m, n, k, pad int
		alpha, beta  float32
		nanC         bool
	}{
		{m: 4, n: 3, k: 4, alpha: 1, beta: 0, nanC: true},
		{m: 17, n: 63, k: 65, pad: 5, alpha: 0.5, beta: 0, nanC: true},
		{m: 65, n: 17, k: 7, pad: 1, alpha: -1.5, beta: 1},
		{m: 7, n: 129, k: 17, pad: 3, alpha: 2, beta: -0.5},
		{m: 3, n: 5, k: 0, pad: 2, alpha: 1, beta: 0.5},
		{m: 3, n: 5, k: 0, pad: 2, alpha: 1, beta: 0, nanC: true},
		{m: 9, n: 11, k: 13, pad: 2, alpha: 0, beta: -2},
		{m: 9, n: 11, k: 13, pad: 2, alpha: 0, beta: 0, nanC: true},
		{m: 0, n: 5, k: 3, alpha: 1, beta: 0},
		{m: 5, n: 0, k: 3, alpha: 1, beta: 0},
		{m: 5, n: 3, k: 2*kc + 9, pad: 1, alpha: 1, beta: 0.25},
		{m: mc + 5, n: 9, k: kc + 1, pad: 2, alpha: -1, beta: 0, nanC: true},
		{m: 3, n: nc + 2*nr + 1, k: 5, pad: 4, alpha: 1, beta: 1},
		{m: 2*mc + 1, n: nc + 1, k: 2, alpha: 0.75, beta: 0, nanC: true},
		{m: 9, n: 10, k: 3 * kc, pad: 1, alpha: -0.5, beta: 2},             // whole k blocks only
		{m: 2 * mr, n: 4 * nr, k: 2*kc + 5, alpha: 1, beta: 0, nanC: true}, // whole tiles only
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tt := range tests {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				p := newProblem(rng, tA, tB, tt.m, tt.n, tt.k, tt.pad, tt.alpha, tt.beta, tt.nanC)
				if tt.nanC { // keep the padding finite so only C's NaNs are tested
					for i := range p.c {
						if p.ldc > 0 && i%p.ldc >= p.n {
							p.c[i] = 1
						}
					}
				}
				checkImpls(t, p)
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	s := make([]float32, 64)
	tests := []struct {
		name          string
		tA            bool
		m, n, k       int
		a, b, c       []float32
		lda, ldb, ldc int
	}{
		{"negative m", false, -1, 2, 2, s, s, s, 2, 2, 2},
		{"lda < k", false, 2, 2, 3, s, s, s, 2, 2, 2},
		{"lda < m for Aᵀ", true, 3, 2, 2, s, s, s, 2, 2, 2},
		{"ldb < n", false, 2, 3, 2, s, s, s, 2, 2, 3},
		{"ldc < n", false, 2, 3, 2, s, s, s, 2, 3, 2},
		{"short a", false, 3, 2, 4, s[:11], s, s, 4, 2, 2},
		{"short b", false, 2, 2, 7, s, s[:13], s, 7, 2, 2},
		{"short c", false, 4, 3, 1, s, s, s[:11], 1, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			Sgemm(tt.tA, false, tt.m, tt.n, tt.k, 1, tt.a, tt.lda, tt.b, tt.ldb, 0, tt.c, tt.ldc)
		})
	}
}

func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	p := newProblem(rng, false, true, 40, 300, 600, 0, 1, 0, false)
	p.run(p.c)
	if n := testing.AllocsPerRun(5, func() { p.run(p.c) }); n != 0 {
		t.Errorf("Sgemm allocates %v times per call", n)
	}
}

func TestParallel(t *testing.T) {
	tests := []struct {
		name        string
		tA, tB      bool
		m, n, k     int
		alpha, beta float32
		split       int // what plan should pick with two threads
	}{
		{"columns", false, false, 8, 1001, 75, 1, 0, splitN},
		{"columns Aᵀ", true, false, 37, 515, 33, -0.5, 1, splitN},
		{"rows", false, true, 601, 40, 129, 1, 0.5, splitM},
		{"rows Aᵀ Bᵀ", true, true, 250, 63, 17, 2, 0, splitM},
		{"k", false, true, 8, 72, 5003, 1, 0, splitK},
		{"k Aᵀ", true, false, 17, 9, 4*kc + 3, 1.5, -1, splitK},
		{"k Aᵀ Bᵀ", true, true, 3, 65, 4 * kc, 1, 0, splitK},
		{"small", false, false, 7, 9, 11, 1, 0, splitNone},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, threads := range []int{1, 2, 3} {
		pool := par.New(threads)
		defer pool.Close()
		pp := NewParallel(pool)
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/threads=%d", tt.name, threads), func(t *testing.T) {
				if s, _ := plan(2, tt.m, tt.n, tt.k); threads == 2 && s != tt.split {
					t.Errorf("plan = %d, want %d", s, tt.split)
				}
				p := newProblem(rng, tt.tA, tt.tB, tt.m, tt.n, tt.k, 1, tt.alpha, tt.beta, tt.beta == 0)
				for i := range p.c {
					if i%p.ldc >= p.n {
						p.c[i] = 1 // finite padding, so it can be compared
					}
				}
				want, tol := p.naive()
				got := append([]float32(nil), p.c...)
				pp.Sgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, got, p.ldc)
				check(t, p, got, want, tol)
				// Against the serial result the only difference allowed is
				// the order of the k partial sums.
				ser := append([]float32(nil), p.c...)
				p.run(ser)
				for i := range got {
					if d := math.Abs(float64(got[i] - ser[i])); !(d <= tol[i]) {
						t.Fatalf("c[%d] = %v, serial %v", i, got[i], ser[i])
					}
				}
			})
		}
	}
}

func TestParallelNil(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := newProblem(rng, false, false, 33, 200, 40, 0, 1, 0, false)
	want, tol := p.naive()
	for _, pp := range []*Parallel{nil, NewParallel(nil), NewParallel(par.New(1))} {
		got := append([]float32(nil), p.c...)
		pp.Sgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, got, p.ldc)
		check(t, p, got, want, tol)
	}
}

func TestParallelAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	pool := par.New(2)
	defer pool.Close()
	pp := NewParallel(pool)
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tt := range []struct{ m, n, k int }{
		{16, 2000, 144},  // columns
		{600, 40, 300},   // rows
		{16, 144, 20000}, // k
	} {
		p := newProblem(rng, false, true, tt.m, tt.n, tt.k, 0, 1, 0, false)
		f := func() { pp.Sgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc) }
		f()
		if n := testing.AllocsPerRun(5, f); n != 0 {
			s, _ := plan(2, tt.m, tt.n, tt.k)
			t.Errorf("m=%d n=%d k=%d (split %d): %v allocations per call", tt.m, tt.n, tt.k, s, n)
		}
	}
}
