package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"pada/core/checkpoint"
	"pada/core/run"
	"pada/core/train"
	"pada/serve/native"
	"pada/serve/store"
)

// Blob names in the store.
const (
	blobCheckpoint = "checkpoint" // train.Session.Save at the last epoch end, pause or stop
	blobRanking    = "ranking.csv"
	blobWeights    = "weights.npz"
)

// How often a run's events reach the store: after flushEvery events or
// flushAfter, whichever comes first, and at once for events other than
// steps and rank progress. Subscribers see events before that, from memory.
const (
	flushEvery = 64
	flushAfter = 200 * time.Millisecond
)

// What a runner is asked to do between two units of work.
const (
	wantRun int32 = iota
	wantPause
	wantStop
)

// runner drives one run's session in its own goroutine and keeps the
// events that are not yet stored, for streams to read.
type runner struct {
	m      *manager
	id     string
	cfg    run.Config
	resume bool  // start from the stored checkpoint
	mem    int64 // the Config's memory estimate

	want atomic.Int32
	wake chan struct{} // a paused runner waits here; capacity 1
	// exited is closed when the runner's goroutine has left the manager.
	exited chan struct{}

	mu      sync.Mutex
	state   store.State
	stored  int      // events in the store
	pending [][]byte // emitted, not stored yet; pending[0] has index stored
	// hide is 1 while the last pending event is a done or error event:
	// streams see it only once it is stored with the run's final state,
	// so that a client that reads "done" finds the results in place.
	hide    int
	changed chan struct{}

	// The runner goroutine's own.
	epochs    int
	done      *run.Done
	lastFlush time.Time
	urgent    bool // an event that must reach the store at once is pending
	epochEnd  bool // the last unit of work ended an epoch
	emitErr   error
}

func newRunner(m *manager, rec store.Run, resume bool) *runner {
	return &runner{m: m, id: rec.ID, cfg: rec.Config, resume: resume, mem: rec.Config.Estimate().Total, wake: make(chan struct{}, 1), exited: make(chan struct{}),
		state: rec.State, stored: rec.Events, changed: make(chan struct{}),
		epochs: rec.EpochsDone}
}

// request asks the runner to pause, resume or stop and returns the state
// it is in now (the change shows in the store and the stream shortly).
func (r *runner) request(w int32) (store.State, error) {
	st := r.snapshotState()
	switch {
	case w == wantPause && st == store.Queued:
		return st, fmt.Errorf("%w: run %s is queued; stop it or wait until it runs", errConflict, r.id)
	case w == wantRun && st == store.Queued:
		return st, nil
	}
	r.want.Store(w)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return st, nil
}

func (r *runner) snapshotState() store.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// view is what a stream needs: the events from index from on that are in
// memory (when from >= stored), how many are stored, the state and a
// channel closed at the next change.
func (r *runner) view(from int) (mem [][]byte, stored int, state store.State, changed <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := from - r.stored; k >= 0 && k < len(r.pending)-r.hide {
		mem = append([][]byte(nil), r.pending[k:len(r.pending)-r.hide]...)
	}
	return mem, r.stored, r.state, r.changed
}

func (r *runner) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// emit receives the session's events on the runner goroutine.
func (r *runner) emit(e run.Event) {
	b, err := json.Marshal(e)
	if err != nil {
		if r.emitErr == nil {
			r.emitErr = fmt.Errorf("encoding a %s event: %w", e.Type, err)
		}
		return
	}
	switch e.Type {
	case run.TypeEpoch:
		r.epochs++
		r.epochEnd = true
	case run.TypeDone:
		r.done = e.Done
	}
	if e.Type != run.TypeStep && e.Type != run.TypeRank {
		r.urgent = true
	}
	r.mu.Lock()
	if r.stored+len(r.pending) >= run.MaxEvents && e.Type != run.TypeError {
		// Validate's estimate keeps runs far below this; the cap holds
		// whatever the estimate missed.
		r.mu.Unlock()
		if r.emitErr == nil {
			r.emitErr = fmt.Errorf("the run emitted %d events, the most one run may store", run.MaxEvents)
		}
		return
	}
	r.pending = append(r.pending, b)
	if e.Type == run.TypeDone || e.Type == run.TypeError {
		r.hide = 1
	} else {
		r.notifyLocked()
	}
	r.mu.Unlock()
}

// commit writes the pending events with w in one transaction; a state
// given is set in the store and for streams together.
func (r *runner) commit(w store.Write, state store.State) error {
	r.mu.Lock()
	evs := r.pending
	r.mu.Unlock()
	w.Events = evs
	upd := w.Update
	w.Update = func(rec *store.Run) {
		rec.EpochsDone = r.epochs
		if state != "" {
			rec.State = state
		}
		if upd != nil {
			upd(rec)
		}
	}
	_, err := r.m.st.Apply(r.id, w)
	r.mu.Lock()
	if err == nil {
		// Only this goroutine appends to pending, so it holds evs and
		// nothing else.
		r.stored += len(evs)
		r.pending, r.hide = nil, 0
		if state != "" {
			r.state = state
		}
	}
	r.notifyLocked()
	r.mu.Unlock()
	r.lastFlush, r.urgent = time.Now(), false
	return err
}

// setState records a state change with no events (used off the runner
// goroutine only for runs that never started).
func (r *runner) setState(s store.State, fn func(*store.Run)) error {
	_, err := r.m.st.Update(r.id, func(rec *store.Run) {
		rec.State = s
		if fn != nil {
			fn(rec)
		}
	})
	r.mu.Lock()
	r.state = s
	r.notifyLocked()
	r.mu.Unlock()
	return err
}

// loop runs the session to its end, a stop, a failure or the server's
// shutdown, and leaves the store saying which.
func (r *runner) loop() {
	if err := r.execute(); err != nil {
		r.fail(err)
	}
}

func (r *runner) fail(err error) {
	msg := err.Error()
	r.emit(run.Event{Type: run.TypeError, Error: msg})
	if cerr := r.commit(store.Write{Update: func(rec *store.Run) { rec.Error = msg }}, store.Failed); cerr != nil {
		fmt.Fprintf(os.Stderr, "api: run %s failed (%v) and the store did not take it: %v\n", r.id, err, cerr)
	}
}

func (r *runner) execute() (err error) {
	defer func() {
		if p := recover(); p != nil {
			// The stack goes to the server's log, the run's error
			// (which clients read) gets its id only.
			id := logInternal(r.m.opt.logf, fmt.Sprintf("run %s: %v", r.id, p), debug.Stack())
			err = fmt.Errorf("internal error %s (the server's log has the details)", id)
		}
	}()
	if err := r.commit(store.Write{}, store.Running); err != nil {
		return err
	}
	in, state, err := r.load()
	if err != nil || state != "" {
		return err
	}
	defer in.Close()
	s, err := r.open(in)
	if err != nil {
		return err
	}
	r.lastFlush = time.Now()
	for {
		if r.emitErr != nil {
			return r.emitErr
		}
		switch r.want.Load() {
		case wantPause:
			if cont, err := r.pause(s); !cont || err != nil {
				return err
			}
		case wantStop:
			return r.save(s, store.Stopped, true)
		}
		if r.m.ctx.Err() != nil {
			return r.interrupt(s)
		}
		r.epochEnd = false
		more := s.Advance()
		switch {
		case !more:
			if r.emitErr != nil {
				return r.emitErr
			}
			return r.finish(s)
		case r.epochEnd:
			if err := r.checkpoint(s, nil, ""); err != nil {
				return err
			}
		case r.urgent || len(r.pending) >= flushEvery || time.Since(r.lastFlush) >= flushAfter:
			if err := r.commit(store.Write{}, ""); err != nil {
				return err
			}
		}
	}
}

// load reads the run's data and builds its network in a goroutine of its
// own, so that a stop, or the server's shutdown, is answered while a
// large or slow file is still being read: the runner then records the
// state (returned) and leaves the loader to finish and release what it
// built. Reads are bounded (native.RootFiles), so the loader ends.
func (r *runner) load() (*native.Inputs, store.State, error) {
	type result struct {
		in  *native.Inputs
		err error
	}
	// Not in the manager's WaitGroup: shutdown does not wait for a
	// loader that the runner has abandoned.
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				id := logInternal(r.m.opt.logf, fmt.Sprintf("run %s loading: %v", r.id, p), debug.Stack())
				done <- result{err: fmt.Errorf("internal error %s (the server's log has the details)", id)}
			}
		}()
		in, err := native.Prepare(r.cfg, r.m.opt.threads(), "", r.m.files)
		done <- result{in, err}
	}()
	abandon := func(state store.State, reason string) (*native.Inputs, store.State, error) {
		go func() {
			if res := <-done; res.in != nil {
				res.in.Close()
			}
		}()
		return nil, state, r.commit(store.Write{Update: func(rec *store.Run) { rec.Reason = reason }}, state)
	}
	for {
		select {
		case res := <-done:
			return res.in, "", res.err
		case <-r.m.ctx.Done():
			return abandon(store.Interrupted, "the server shut down while the run was loading its data")
		case <-r.wake:
			if r.want.Load() == wantStop {
				return abandon(store.Stopped, "")
			}
		}
	}
}

// open starts the session, or resumes it from the stored checkpoint.
func (r *runner) open(in *native.Inputs) (*train.Session, error) {
	if !r.resume {
		return in.Start(r.emit)
	}
	ck, err := r.m.st.Blob(r.id, blobCheckpoint)
	if err != nil {
		return nil, err
	}
	if ck == nil {
		return nil, errors.New("resuming: the run has no checkpoint")
	}
	s, err := in.Resume(bytes.NewReader(ck), r.emit)
	if err != nil {
		return nil, fmt.Errorf("resuming from the checkpoint: %w", err)
	}
	return s, nil
}

// checkpoint stores the session's state with the events so far, so that
// a resume continues exactly after them.
func (r *runner) checkpoint(s *train.Session, blobs map[string][]byte, state store.State) error {
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		return fmt.Errorf("saving a checkpoint: %w", err)
	}
	if blobs == nil {
		blobs = map[string][]byte{}
	}
	blobs[blobCheckpoint] = b.Bytes()
	epochs := r.epochs
	return r.commit(store.Write{Blobs: blobs, Update: func(rec *store.Run) {
		rec.Checkpoint, rec.CheckpointEpochs = rec.Events, epochs
	}}, state)
}

// results are the ranking so far and the weights.
func results(s *train.Session) (map[string][]byte, error) {
	var csv, w bytes.Buffer
	if err := s.WriteCSV(&csv); err != nil {
		return nil, err
	}
	if err := checkpoint.Write(&w, s.Trainer().Net(), nil); err != nil {
		return nil, fmt.Errorf("writing the weights: %w", err)
	}
	return map[string][]byte{blobRanking: csv.Bytes(), blobWeights: w.Bytes()}, nil
}

// save checkpoints the run in state (with its results, when asked).
func (r *runner) save(s *train.Session, state store.State, withResults bool) error {
	var blobs map[string][]byte
	if withResults {
		var err error
		if blobs, err = results(s); err != nil {
			return err
		}
	}
	return r.checkpoint(s, blobs, state)
}

// interrupt checkpoints the run as the server shuts down; a clean stop
// ends the count of automatic resumes.
func (r *runner) interrupt(s *train.Session) error {
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		return fmt.Errorf("saving a checkpoint: %w", err)
	}
	epochs := r.epochs
	return r.commit(store.Write{Blobs: map[string][]byte{blobCheckpoint: b.Bytes()}, Update: func(rec *store.Run) {
		rec.Checkpoint, rec.CheckpointEpochs = rec.Events, epochs
		rec.Reason, rec.AutoResumes = "the server shut down", 0
	}}, store.Interrupted)
}

// pause checkpoints the run and waits; cont reports whether to go on.
func (r *runner) pause(s *train.Session) (cont bool, err error) {
	if err := r.save(s, store.Paused, true); err != nil {
		return false, err
	}
	for {
		select {
		case <-r.m.ctx.Done():
			// The checkpoint is current: only the state changes.
			return false, r.commit(store.Write{Update: func(rec *store.Run) {
				rec.Reason, rec.AutoResumes = "the server shut down while the run was paused", 0
			}}, store.Interrupted)
		case <-r.wake:
		}
		switch r.want.Load() {
		case wantRun:
			return true, r.commit(store.Write{}, store.Running)
		case wantStop:
			return false, r.commit(store.Write{}, store.Stopped)
		}
	}
}

// finish stores the results of a finished run; its checkpoint is no
// longer needed.
func (r *runner) finish(s *train.Session) error {
	blobs, err := results(s)
	if err != nil {
		return err
	}
	blobs[blobCheckpoint] = nil
	done := r.done
	return r.commit(store.Write{Blobs: blobs, Update: func(rec *store.Run) {
		rec.Done, rec.Checkpoint, rec.CheckpointEpochs = done, 0, 0
	}}, store.Done)
}
