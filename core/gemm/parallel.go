package gemm

import "pada/core/par"

// Parallel splits each product over the workers of a par.Pool. It owns
// per-worker scratch, grown on first use of a size and reused after, so a
// Parallel must not be used by two goroutines at once.
type Parallel struct {
	pool *par.Pool
	ws   []*workspace
	part []float32 // partial products of parts 1.. of a k split
	job  job
	sum  reduce
}

// NewParallel returns a Parallel that runs on p.
func NewParallel(p *par.Pool) *Parallel {
	return &Parallel{pool: p}
}

// How a product is divided between workers.
const (
	splitNone = iota
	splitN    // column blocks of B and C
	splitM    // row blocks of A and C
	splitK    // blocks of the inner dimension, summed afterwards
)

// Below these sizes a part has too little work to cover the hand-off to a
// worker (a few microseconds) or to fill whole register tiles.
const (
	minParFlops = 1 << 18
	minPartN    = 64
	minPartM    = 32
	minPartK    = kc
)

// plan picks the split that adds the least work: a column split repacks
// all of A in every part, a row split all of B, and a k split adds each
// extra part's m×n partial product into C (a read of the partial and a
// read and write of C, so about three element operations).
func plan(threads, m, n, k int) (split, parts int) {
	if threads < 2 || 2*m*n*k < minParFlops {
		return splitNone, 1
	}
	split, cost := splitNone, 0
	consider := func(s, dim, minPart, perPart int) {
		p := min(threads, dim/minPart)
		if p < 2 {
			return
		}
		if c := (p - 1) * perPart; split == splitNone || c < cost {
			split, parts, cost = s, p, c
		}
	}
	consider(splitN, n, minPartN, m*k)
	consider(splitM, m, minPartM, n*k)
	consider(splitK, k, minPartK, 3*m*n)
	if split == splitNone {
		return splitNone, 1
	}
	return split, parts
}

// Sgemm is Sgemm with the work split over the pool. Results can differ
// from Sgemm in the last bits when the k dimension is split, because the
// partial sums are added in a different order. With a nil receiver or a
// single-threaded pool it is Sgemm.
func (p *Parallel) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if p == nil || p.pool.Threads() < 2 {
		Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	split, parts := plan(p.pool.Threads(), m, n, k)
	if split == splitNone {
		Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for len(p.ws) < parts {
		p.ws = append(p.ws, newWorkspace())
	}
	j := &p.job
	*j = job{p: p, split: split, tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	switch split {
	case splitN:
		j.step = roundUp((n+parts-1)/parts, nr)
	case splitM:
		j.step = roundUp((m+parts-1)/parts, mr)
	case splitK:
		j.step = roundUp((k+parts-1)/parts, kUnroll)
		if j.step > kc {
			j.step = roundUp(j.step, kc) // whole k blocks in every part but the last
		}
		if need := (parts - 1) * m * n; len(p.part) < need {
			p.part = make([]float32, need)
		}
	}
	// Each index of the For is one part, so Do knows which scratch to use.
	p.pool.For(parts, 1, j)
	if split == splitK {
		p.sum = reduce{c: c, ldc: ldc, n: n, part: p.part[:(parts-1)*m*n], size: m * n}
		p.pool.For(m, 1, &p.sum)
	}
	*j = job{} // drop references to the caller's slices
	p.sum = reduce{}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// job computes the parts of one split product.
type job struct {
	p             *Parallel
	split, step   int
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

func (j *job) Do(lo, hi int) {
	for t := lo; t < hi; t++ {
		j.part(t)
	}
}

// part computes part t of the split on scratch t.
func (j *job) part(t int) {
	ws := j.p.ws[t]
	a, b, c := j.a, j.b, j.c
	m, n, k, beta, ldc := j.m, j.n, j.k, j.beta, j.ldc
	lo := t * j.step
	switch j.split {
	case splitN:
		if lo >= n {
			return
		}
		n = min(j.step, n-lo)
		if j.tB {
			b = b[lo*j.ldb:]
		} else {
			b = b[lo:]
		}
		c = c[lo:]
	case splitM:
		if lo >= m {
			return
		}
		m = min(j.step, m-lo)
		if j.tA {
			a = a[lo:]
		} else {
			a = a[lo*j.lda:]
		}
		c = c[lo*ldc:]
	case splitK:
		if t > 0 {
			// Parts after the first write their own partial product, which
			// reduce adds into C; a part with no k left must still zero it.
			c, ldc, beta = j.p.part[(t-1)*m*n:t*m*n], n, 0
		}
		if lo >= k {
			scale(m, n, 0, c, ldc)
			return
		}
		k = min(j.step, k-lo)
		if j.tA {
			a = a[lo*j.lda:]
		} else {
			a = a[lo:]
		}
		if j.tB {
			b = b[lo:]
		} else {
			b = b[lo*j.ldb:]
		}
	}
	serial(ws, j.tA, j.tB, m, n, k, j.alpha, a, j.lda, b, j.ldb, beta, c, ldc)
}

// reduce adds the partial products of a k split into C, by rows.
type reduce struct {
	c      []float32
	ldc, n int
	part   []float32
	size   int // m*n, the length of one partial product
}

func (r *reduce) Do(lo, hi int) {
	for i := lo; i < hi; i++ {
		dst := r.c[i*r.ldc : i*r.ldc+r.n]
		for p := 0; p < len(r.part); p += r.size {
			src := r.part[p+i*r.n : p+i*r.n+r.n]
			for j, v := range src {
				dst[j] += v
			}
		}
	}
}
