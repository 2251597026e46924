// Package par runs data-parallel loops on a fixed set of goroutines
// without allocating, so that a training step can stay allocation-free.
//
// A closure handed to a goroutine escapes to the heap on every call; par
// instead takes a Task, usually a pointer to a struct the caller allocated
// once, and splits an index range over long-lived workers.
package par

import "sync"

// Task is one data-parallel loop body: it handles indices [lo, hi).
type Task interface {
	Do(lo, hi int)
}

type job struct {
	t      Task
	lo, hi int
}

// Pool is a fixed set of workers. The zero value is not usable; call New.
// A Pool runs one For at a time; concurrent callers are serialised.
type Pool struct {
	mu      sync.Mutex
	threads int
	jobs    chan job
	wg      sync.WaitGroup
}

// New starts a pool of threads workers (threads-1 goroutines plus the
// caller). threads < 1 is treated as 1.
func New(threads int) *Pool {
	if threads < 1 {
		threads = 1
	}
	p := &Pool{threads: threads, jobs: make(chan job, threads)}
	for i := 1; i < threads; i++ {
		go p.worker()
	}
	return p
}

func (p *Pool) worker() {
	for j := range p.jobs {
		j.t.Do(j.lo, j.hi)
		p.wg.Done()
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
		close(p.jobs)
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
	step := (n + chunks - 1) / chunks
	p.wg.Add(chunks - 1)
	lo := step
	for c := 1; c < chunks; c++ {
		hi := min(lo+step, n)
		p.jobs <- job{t, lo, hi}
		lo = hi
	}
	t.Do(0, min(step, n))
	p.wg.Wait()
}
