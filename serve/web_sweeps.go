package main

// The web server's share of sweeps: it records the result of every sweep
// run that reaches its job queue in its run store, once per run, and
// tells a sweep which of its runs it holds. A sweep sent to the queue of
// a running `serve web` cannot open the run store (the web server holds
// it), so the web server is the one that writes it; the results wait in
// the queue's results stream while the web server is down, and a durable
// consumer takes each one once it is back. Recorded runs are finished or
// failed: the web server never trains them, so their Configs name no
// file it reads.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"pada/serve/queue"
	"pada/serve/store"
)

// sweepRecorderName is the web server's durable consumer of results.
const sweepRecorderName = "web-recorder"

// startJobs starts the job queue of `serve web` and, with the run API's
// store st (nil without the API), the recorder of sweep runs into it.
func startJobs(jobs webNATS, st *store.Store, logf func(string, ...any)) (stop func(), err error) {
	srv, stopNATS, err := jobs.start(logf)
	if err != nil || srv == nil || st == nil {
		return stopNATS, err
	}
	stopRec, err := recordSweeps(srv, st, logf)
	if err != nil {
		stopNATS()
		return nil, err
	}
	return func() { stopRec(); stopNATS() }, nil
}

// recordSweeps records the sweep runs of srv's results stream in st until
// stop is called, and answers sweepLookupSubject from st.
func recordSweeps(srv *queue.Server, st *store.Store, logf func(string, ...any)) (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	lg := func(format string, a ...any) { logf("sweeps: "+format, a...) }
	q, err := srv.Connect(ctx, queue.Options{Name: "web-" + queue.HostName(),
		Logf: func(f string, a ...any) { lg("%s", fmt.Sprintf(f, a...)) }})
	if err != nil {
		cancel()
		return nil, err
	}
	stopAnswer, err := q.Answer(sweepLookupSubject, func(req []byte) []byte { return answerLookup(st, req) })
	if err != nil {
		cancel()
		q.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := q.Follow(ctx, sweepRecorderName, func(res queue.Result) error { return recordSweepResult(st, res, lg) })
		if err != nil && ctx.Err() == nil {
			lg("recording stopped: %v", err)
		}
	}()
	return func() {
		stopAnswer()
		cancel()
		wg.Wait()
		q.Close()
	}, nil
}

// recordSweepResult stores one result if it is a sweep run's; a result it
// cannot read is said and skipped (nil), an error is the store's.
func recordSweepResult(st *store.Store, res queue.Result, logf func(string, ...any)) error {
	if res.Kind != jobRun {
		return nil // a ground-truth run: its table is the build's
	}
	var rr runResult
	var j runJob
	if res.Parked {
		if err := decodeStrict(res.Job, &j); err != nil {
			logf("parked run %s of %s carries no readable job (skipped): %v", res.JobID, res.Batch, err)
			return nil
		}
		rr.Config = &j.Config
	} else if err := json.Unmarshal(res.Body, &rr); err != nil || rr.Config == nil || rr.Done == nil {
		logf("result of run %s of %s has no config or no result (skipped; from a worker of an older version?): %v", res.JobID, res.Batch, err)
		return nil
	}
	if err := rr.Config.Validate(); err != nil {
		logf("result of run %s of %s: config: %v (skipped)", res.JobID, res.Batch, err)
		return nil
	}
	got, added, err := recordSweepRun(st, res.Batch+"."+res.JobID, *rr.Config, res, rr)
	if errors.Is(err, store.ErrNotFound) {
		return nil // recorded once, and deleted since
	}
	if err != nil {
		return err
	}
	if added {
		logf("run %s of %s recorded as %s (%s)", res.JobID, res.Batch, got.ID, got.State)
	}
	return nil
}

// answerLookup answers a sweepLookup with the runs st holds.
func answerLookup(st *store.Store, req []byte) []byte {
	var l sweepLookup
	out := sweepRecorded{Runs: map[string]recordedRun{}}
	if err := json.Unmarshal(req, &l); err != nil {
		out.Error = "lookup: " + err.Error()
	} else if len(l.Keys) > maxLookupKeys {
		out.Error = fmt.Sprintf("lookup: %d keys; at most %d", len(l.Keys), maxLookupKeys)
	}
	if out.Error == "" {
		for _, k := range l.Keys {
			r, err := st.Job(k)
			if err != nil {
				continue
			}
			out.Runs[k] = recordedRun{ID: r.ID, State: r.State, Done: r.Done, Error: r.Error}
		}
	}
	b, _ := json.Marshal(out)
	return b
}
