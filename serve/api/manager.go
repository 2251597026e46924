package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"pada/core/data"
	"pada/core/run"
	"pada/serve/store"
)

// errBusy is the answer when every slot and the whole queue are taken.
var errBusy = errors.New("busy")

// errRefused marks a Config (of a stored run being resumed) that this
// server does not accept: the error names the field.
var errRefused = errors.New("refused")

// manager runs at most MaxRuns runs at once, each in its own goroutine,
// while their memory estimates together fit MaxMem (one always runs), and
// queues up to Queue more.
type manager struct {
	st    *store.Store
	opt   Options
	vet   func(run.Config) error // the API's admission check
	files data.Opener            // what runs may read
	// ctx ends with the server: runners checkpoint, mark their run
	// interrupted and return; streams end.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	live    map[string]*runner // queued, running or paused
	queue   []*runner
	running int
	memUsed int64 // estimates of the running runs
	closed  bool
}

func newManager(st *store.Store, o Options, vet func(run.Config) error, files data.Opener) (*manager, error) {
	died, err := st.MarkInterrupted()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &manager{st: st, opt: o, vet: vet, files: files, ctx: ctx, cancel: cancel, live: map[string]*runner{}}
	if o.ResumeInterrupted {
		// Every interrupted run, also those an earlier start left so,
		// except one that was running when the server died after it had
		// been resumed automatically: it may be what took the server
		// down, and a loop of crashes must end.
		runs, err := st.List()
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if r.State != store.Interrupted {
				continue
			}
			if r.AutoResumes > 0 && slices.Contains(died, r.ID) {
				o.logf("api: run %s was running when the server died after an automatic resume; not resuming it (POST /api/runs/%s/resume to try)", r.ID, r.ID)
				continue
			}
			if _, err := m.resumeRun(r.ID, true); err != nil {
				o.logf("api: resuming run %s: %v", r.ID, err)
			}
		}
	}
	return m, nil
}

// shutdown stops taking runs and waits up to wait for the runners to
// checkpoint (a unit of work is a step or one architecture ranked, and
// loading data does not hold a runner up); a run still busy then stays
// live in the store and is marked interrupted at the next start.
func (m *manager) shutdown(wait time.Duration) {
	m.mu.Lock()
	m.closed = true
	queued := m.queue
	m.queue = nil
	m.mu.Unlock()
	m.cancel()
	for _, r := range queued {
		r.setState(store.Interrupted, func(rec *store.Run) { rec.Reason = "the server shut down while the run was queued" })
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		m.mu.Lock()
		n := len(m.live)
		m.mu.Unlock()
		m.opt.logf("api: %d runs did not stop within %s; they are marked interrupted at the next start", n, wait)
	}
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
	if len(m.queue) == 0 && m.fitsLocked(r) {
		m.startLocked(r)
	} else {
		m.queue = append(m.queue, r)
	}
	return r, nil
}

// fitsLocked reports whether r may start now: a slot is free and its
// memory estimate fits beside the running runs' (a run alone always may:
// the API refused any over the whole budget).
func (m *manager) fitsLocked(r *runner) bool {
	return m.running < m.opt.MaxRuns && (m.running == 0 || m.memUsed+r.mem <= m.opt.MaxMem)
}

func (m *manager) startLocked(r *runner) {
	m.running++
	m.memUsed += r.mem
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
		close(r.exited)
	}()
}

// finished hands a runner's slot and memory to the queued runs, in order.
func (m *manager) finished(r *runner) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.live, r.id)
	m.running--
	m.memUsed -= r.mem
	for len(m.queue) > 0 && !m.closed && m.fitsLocked(m.queue[0]) {
		next := m.queue[0]
		m.queue = m.queue[1:]
		m.startLocked(next)
	}
}

// create stores a new run of cfg and queues it, first deleting the oldest
// finished runs beyond -keep-runs.
func (m *manager) create(cfg run.Config) (*runner, error) {
	return m.admit(func() (*runner, error) {
		if k := m.opt.KeepRuns; k > 0 {
			if _, err := m.st.Prune(k - 1); err != nil {
				return nil, err
			}
			if n, err := m.st.Count(); err != nil {
				return nil, err
			} else if n >= k {
				return nil, fmt.Errorf("%w: the store keeps %d runs (-keep-runs) and none of them is finished; delete some (DELETE /api/runs/{id})", errBusy, k)
			}
		}
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
func (m *manager) resume(id string) (store.State, error) { return m.resumeRun(id, false) }

// resumeRun is resume; auto marks a resume the server makes on its own.
func (m *manager) resumeRun(id string, auto bool) (store.State, error) {
	if r := m.lookup(id); r != nil {
		if r.snapshotState().Live() {
			return r.request(wantRun)
		}
		// Stopped or interrupted a moment ago: the runner is on its way
		// out; wait for it so that the resume starts a new one.
		select {
		case <-r.exited:
		case <-time.After(10 * time.Second):
			return "", fmt.Errorf("%w: run %s is still winding down; try again", errConflict, id)
		}
	}
	r, err := m.admit(func() (*runner, error) {
		rec, err := m.st.Get(id)
		if err != nil {
			return nil, err
		}
		if rec.State != store.Interrupted && rec.State != store.Stopped {
			return nil, fmt.Errorf("%w: run %s is %s; only a paused, stopped or interrupted run resumes", errConflict, id, rec.State)
		}
		if err := m.vet(rec.Config); err != nil {
			return nil, fmt.Errorf("%w: run %s: %w", errRefused, id, err)
		}
		rec, err = m.st.Truncate(id, rec.Checkpoint, func(r *store.Run) {
			r.State, r.Resumes, r.Error, r.Done, r.Reason = store.Queued, r.Resumes+1, "", nil, ""
			r.AutoResumes = 0
			if auto {
				r.AutoResumes = rec.AutoResumes + 1
			}
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
