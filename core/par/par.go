// Package par runs data-parallel loops on a fixed set of goroutines
// without allocating, so that a training step can stay allocation-free.
//
// A closure handed to a goroutine escapes to the heap on every call; par
// instead takes a Task, usually a pointer to a struct the caller allocated
// once, and splits an index range over long-lived workers.
package par

import (
	"sync"
	"sync/atomic"
	"time"
)

// Task is one data-parallel loop body: it handles indices [lo, hi).
type Task interface {
	Do(lo, hi int)
}

// Pool is a fixed set of workers. The zero value is not usable; call New.
// A Pool runs one For at a time; concurrent callers are serialised.
//
// The chunks of a For are fixed by n, grain and Threads alone, but which
// goroutine runs which is not: the caller and the woken workers claim
// them in turn, so when a worker is slow to wake (its core is busy with
// another process) the caller runs the chunk itself instead of waiting.
// Tasks index their scratch and partial results by chunk, never by
// goroutine, so results do not depend on who ran what.
type Pool struct {
	mu      sync.Mutex
	threads int
	wake    chan struct{}
	quit    chan struct{}
	fin     chan struct{} // a worker that finished a For's last chunk says so (buffered, one token)

	// The current For: word packs a generation (bits 32-63), the chunks
	// claimed (16-31) and the number of chunks (0-15); a claim is a
	// compare-and-swap on it, so a worker that wakes late cannot claim a
	// chunk of a later For than the one it read. t, n and step are
	// written before word and read only after a successful claim.
	word    atomic.Uint64
	left    atomic.Int32 // chunks not yet done
	t       Task
	n, step int
}

// New starts a pool of threads workers (threads-1 goroutines plus the
// caller). threads < 1 is treated as 1.
func New(threads int) *Pool {
	if threads < 1 {
		threads = 1
	}
	p := &Pool{threads: threads, wake: make(chan struct{}, threads), quit: make(chan struct{}), fin: make(chan struct{}, 1)}
	for i := 1; i < threads; i++ {
		go p.worker()
	}
	return p
}

// spinFor is how long a worker that ran out of chunks keeps looking for
// the next For before it parks. A training step is a chain of Fors with
// 10-50 us of serial code between them; a parked worker takes longer
// than that to wake (a futex wake and a reschedule), so without the spin
// the caller claims both chunks of short Fors itself and the second
// thread sits idle. The spin is bounded, so an idle pool costs nothing.
const spinFor = 100 * time.Microsecond

func (p *Pool) worker() {
	for {
		select {
		case <-p.quit:
			return
		case <-p.wake:
		}
		p.drain()
		// A For found while spinning leaves its wake-up in the channel;
		// the next select takes it, finds nothing to claim and spins again.
		deadline := time.Now().Add(spinFor)
		for i := 1; ; i++ {
			if p.claimable() {
				p.drain()
				deadline = time.Now().Add(spinFor)
				continue
			}
			if i%64 == 0 && time.Now().After(deadline) {
				break
			}
		}
	}
}

// drain runs chunks of the current For until none is left to claim.
func (p *Pool) drain() {
	for ran, _ := p.claimOne(false); ran; ran, _ = p.claimOne(false) {
	}
}

// claimable reports whether the current For has a chunk left to claim.
func (p *Pool) claimable() bool {
	v := p.word.Load()
	return v>>16&0xffff < v&0xffff
}

// claimOne claims and runs one chunk of the current For; it reports
// whether there was one and whether it was the last to finish. A worker
// that finishes the last chunk signals fin.
func (p *Pool) claimOne(caller bool) (ran, last bool) {
	for {
		v := p.word.Load()
		claimed, chunks := int(v>>16&0xffff), int(v&0xffff)
		if claimed >= chunks {
			return false, false
		}
		if !p.word.CompareAndSwap(v, v+1<<16) {
			continue
		}
		lo, hi := min(claimed*p.step, p.n), min((claimed+1)*p.step, p.n)
		p.t.Do(lo, hi)
		last = p.left.Add(-1) == 0
		if last && !caller {
			select { // the caller may be waiting on it
			case p.fin <- struct{}{}:
			default: // an earlier For's token, unread, wakes it as well
			}
		}
		return true, last
	}
}

// Threads reports how many goroutines (the caller included) share the work.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p != nil && p.threads > 1 {
		close(p.quit)
	}
}

// For calls t.Do over [0, n) split into at most Threads contiguous chunks
// of at least grain indices each, and returns when all are done. A nil
// pool runs t.Do(0, n) on the caller.
func (p *Pool) For(n, grain int, t Task) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := 1
	if p != nil {
		chunks = min(p.threads, (n+grain-1)/grain)
	}
	if chunks <= 1 {
		t.Do(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t, p.n, p.step = t, n, (n+chunks-1)/chunks
	p.left.Store(int32(chunks))
	gen := p.word.Load()>>32 + 1
	p.word.Store(gen<<32 | uint64(chunks))
	for c := 1; c < chunks; c++ {
		select {
		case p.wake <- struct{}{}:
		default: // enough wake-ups are pending already
		}
	}
	for ran, _ := p.claimOne(true); ran; ran, _ = p.claimOne(true) {
	}
	// A worker runs the last chunks: spin while they are short, then
	// wait for the worker that finishes last to say so. (A receive that
	// parks makes the caller wait for a wake-up as long as the chunk.)
	deadline := time.Now().Add(spinFor)
	for i := 1; p.left.Load() != 0; i++ {
		if i%64 == 0 && time.Now().After(deadline) {
			<-p.fin // may be an earlier For's: the loop checks again
		}
	}
	p.t = nil
}
