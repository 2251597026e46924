package par

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// mark records which indices a For covered, and how often.
type mark struct{ seen []atomic.Int32 }

func (m *mark) Do(lo, hi int) {
	for i := lo; i < hi; i++ {
		m.seen[i].Add(1)
	}
}

// TestForCoversEachIndexOnce runs For over many sizes, grains and thread
// counts (and a nil Pool) and checks that every index is done exactly once.
func TestForCoversEachIndexOnce(t *testing.T) {
	for _, threads := range []int{0, 1, 2, 3, 8} {
		p := New(threads)
		pools := []*Pool{p}
		if threads == 0 {
			pools = append(pools, nil)
		}
		for _, q := range pools {
			for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 100, 1001} {
				for _, grain := range []int{0, 1, 4, 64} {
					m := &mark{seen: make([]atomic.Int32, n)}
					q.For(n, grain, m)
					for i := range m.seen {
						if c := m.seen[i].Load(); c != 1 {
							t.Fatalf("threads %d, n %d, grain %d: index %d done %d times", threads, n, grain, i, c)
						}
					}
				}
			}
		}
		p.Close()
	}
}

type nop struct{}

func (nop) Do(lo, hi int) {}

// spin does about d nanoseconds of work on the calling thread.
func spin(d int) int {
	x := 0
	for i := 0; i < d/2; i++ {
		x += i ^ x>>3
	}
	return x
}

var sink int

// work is a For body of about d nanoseconds per index.
type work struct {
	d   int
	out [2]int
}

func (w *work) Do(lo, hi int) {
	for i := lo; i < hi; i++ {
		w.out[i&1] += spin(w.d)
	}
}

// BenchmarkForHandoff is the cost of one For that splits over the workers
// (a hand-off and a wait) against the same For done by the caller alone:
// what each small kernel of a training step pays for its second thread.
// "gap" runs about that many microseconds of serial work between the
// calls, as a step's serial code does, so that the worker goes idle and
// must be woken; "work" gives each of the two chunks that many
// microseconds, as a step's small kernels have: with two threads on two
// idle cores a For then takes about half as long as on one.
func BenchmarkForHandoff(b *testing.B) {
	for _, c := range []struct{ gap, work int }{{0, 0}, {20, 0}, {20, 20}, {20, 100}} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("gap=%dus/work=%dus/threads=%d", c.gap, c.work, threads), func(b *testing.B) {
				p := New(threads)
				defer p.Close()
				w := &work{d: c.work * 1000}
				for b.Loop() {
					p.For(2, 1, w)
					sink += spin(c.gap * 1000)
				}
				sink += w.out[0] + w.out[1]
			})
		}
	}
}
