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

// BenchmarkForHandoff is the cost of one For that splits over the workers
// (a hand-off and a wait) against the same For done by the caller alone:
// what each small kernel of a training step pays for its second thread.
// "gap" runs about that many microseconds of serial work between the
// calls, as a step's serial code does, so that the worker goes idle and
// must be woken.
func BenchmarkForHandoff(b *testing.B) {
	for _, gap := range []int{0, 20} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("gap=%dus/threads=%d", gap, threads), func(b *testing.B) {
				p := New(threads)
				defer p.Close()
				for b.Loop() {
					p.For(2, 1, nop{})
					sink += spin(gap * 1000)
				}
			})
		}
	}
}
