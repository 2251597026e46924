package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"pada/core/run"
	"pada/serve/store"
)

// errBusy is the answer when every slot and the whole queue are taken.
var errBusy = errors.New("busy")

// manager runs at most MaxRuns runs at once, each in its own goroutine,
// and queues up to Queue more.
type manager struct {
	st  *store.Store
	opt apiOptions
	// ctx ends with the server: runners checkpoint, mark their run
	// interrupted and return; streams end.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	live    map[string]*runner // queued, running or paused
	queue   []*runner
	running int
	closed  bool
}

func newManager(st *store.Store, o apiOptions) (*manager, error) {
	if _, err := st.MarkInterrupted(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &manager{st: st, opt: o, ctx: ctx, cancel: cancel, live: map[string]*runner{}}
	if o.ResumeInterrupted {
		// Every interrupted run, also those an earlier start left so.
		runs, err := st.List()
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if r.State != store.Interrupted {
				continue
			}
			if _, err := m.resume(r.ID); err != nil {
				fmt.Fprintf(os.Stderr, "api: resuming run %s: %v\n", r.ID, err)
			}
		}
	}
	return m, nil
}

// shutdown stops taking runs and waits for the runners to checkpoint.
func (m *manager) shutdown() {
	m.mu.Lock()
	m.closed = true
	queued := m.queue
	m.queue = nil
	m.mu.Unlock()
	m.cancel()
	for _, r := range queued {
		r.setState(store.Interrupted, nil)
	}
	m.wg.Wait()
}

func (m *manager) lookup(id string) *runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live[id]
}

// admit takes a slot or a queue place for a run that create makes; it
// holds the lock across create so that two requests cannot both take the
// last place.
func (m *manager) admit(create func() (*runner, error)) (*runner, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("%w: the server is shutting down", errBusy)
	}
	if m.running >= m.opt.MaxRuns && len(m.queue) >= m.opt.Queue {
		return nil, fmt.Errorf("%w: %d runs training and %d queued (the most this server takes); try again later",
			errBusy, m.running, len(m.queue))
	}
	r, err := create()
	if err != nil {
		return nil, err
	}
	m.live[r.id] = r
	if m.running < m.opt.MaxRuns {
		m.running++
		m.startLocked(r)
	} else {
		m.queue = append(m.queue, r)
	}
	return r, nil
}

func (m *manager) startLocked(r *runner) {
	// Running from now on for requests: a pause asked before the
	// goroutine gets going is honoured before its first step.
	r.mu.Lock()
	r.state = store.Running
	r.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		r.loop()
		m.finished(r)
	}()
}

// finished hands a runner's slot to the next queued run.
func (m *manager) finished(r *runner) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.live, r.id)
	if len(m.queue) > 0 && !m.closed {
		next := m.queue[0]
		m.queue = m.queue[1:]
		m.startLocked(next)
		return
	}
	m.running--
}

// create stores a new run of cfg and queues it.
func (m *manager) create(cfg run.Config) (*runner, error) {
	return m.admit(func() (*runner, error) {
		rec, err := m.st.Create(cfg)
		if err != nil {
			return nil, err
		}
		return newRunner(m, rec, false), nil
	})
}

// resume restarts a paused run in place, or queues an interrupted or
// stopped one from its checkpoint (from the start without one), dropping
// the events stored after the checkpoint.
func (m *manager) resume(id string) (store.State, error) {
	if r := m.lookup(id); r != nil {
		return r.request(wantRun)
	}
	r, err := m.admit(func() (*runner, error) {
		rec, err := m.st.Get(id)
		if err != nil {
			return nil, err
		}
		if rec.State != store.Interrupted && rec.State != store.Stopped {
			return nil, fmt.Errorf("%w: run %s is %s; only a paused, stopped or interrupted run resumes", errConflict, id, rec.State)
		}
		rec, err = m.st.Truncate(id, rec.Checkpoint, func(r *store.Run) {
			r.State, r.Resumes, r.Error, r.Done = store.Queued, r.Resumes+1, "", nil
			if r.Checkpoint == 0 {
				r.EpochsDone = 0
			} else {
				r.EpochsDone = r.CheckpointEpochs
			}
		})
		if err != nil {
			return nil, err
		}
		return newRunner(m, rec, rec.Checkpoint > 0), nil
	})
	if err != nil {
		return "", err
	}
	return r.snapshotState(), nil
}

// errConflict marks a request that the run's state does not allow.
var errConflict = errors.New("conflict")

// pause and stop act on a live run; stopping a queued run takes it out of
// the queue.
func (m *manager) pause(id string) (store.State, error) {
	r := m.lookup(id)
	if r == nil {
		return m.notLive(id, "pause")
	}
	return r.request(wantPause)
}

func (m *manager) stop(id string) (store.State, error) {
	m.mu.Lock()
	r := m.live[id]
	for i, q := range m.queue {
		if q == r {
			m.queue = append(m.queue[:i:i], m.queue[i+1:]...)
			delete(m.live, id)
			m.mu.Unlock()
			return store.Stopped, r.setState(store.Stopped, nil)
		}
	}
	m.mu.Unlock()
	if r == nil {
		return m.notLive(id, "stop")
	}
	return r.request(wantStop)
}

func (m *manager) notLive(id, action string) (store.State, error) {
	rec, err := m.st.Get(id)
	if err != nil {
		return "", err
	}
	return rec.State, fmt.Errorf("%w: run %s is %s; cannot %s it", errConflict, id, rec.State, action)
}
