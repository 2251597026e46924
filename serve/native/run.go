// Package native runs a Config on this machine's CPU, as the command line
// and the run API both do: which files a run may read (HostFiles, the
// user's own; RootFiles, only those under a data root, for API clients),
// its data and ground-truth table, the session prepared on a CPU backend
// (Prepare, Run), and whether a run fits this machine's memory.
package native

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"pada/core/checkpoint"
	"pada/core/data"
	"pada/core/gemm"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/run"
	"pada/core/supernet"
	"pada/core/train"
)

// Inputs are what a native session of a Config is built from: the run as
// train.Prepare assembles it, on a supernet initialised from the run seed
// on its own CPU backend. The command line and the HTTP API both build
// sessions here so that the same Config gives the same events either way.
type Inputs struct {
	*train.Prepared
	be *nn.CPU
}

// Prepare loads everything a session of c needs, reading files through
// files, on a CPU backend of threads goroutines. initFrom, if not empty,
// names weights (.npz) to start from. Close releases the backend.
func Prepare(c run.Config, threads int, initFrom string, files data.Opener) (*Inputs, error) {
	trainFile, evalFile, err := LoadData(c, files)
	if err != nil {
		return nil, err
	}
	be := nn.NewCPU(threads)
	p, err := train.Prepare(c, train.Inputs{Train: trainFile, Eval: evalFile,
		Truth:   func() (*groundtruth.Table, error) { return LoadTruth(c, files) },
		Backend: be, BackendName: fmt.Sprintf("go-cpu/%s x%d", gemm.Kernel(), threads)})
	if err != nil {
		be.Close()
		return nil, err
	}
	if initFrom != "" {
		if err := LoadWeights(initFrom, p.Net); err != nil {
			be.Close()
			return nil, err
		}
	}
	return &Inputs{Prepared: p, be: be}, nil
}

// Close stops the backend's workers.
func (in *Inputs) Close() { in.be.Close() }

// Result is a whole run's session and its done event.
type Result struct {
	Session *train.Session
	Done    *run.Done
}

// Run runs a whole Config natively, reading the user's own files
// (HostFiles), writing events as JSON lines; progress, if not nil, sees
// each event.
func Run(c run.Config, threads int, initFrom string, events io.Writer, progress func(run.Event, *run.Started)) (*Result, error) {
	in, err := Prepare(c, threads, initFrom, HostFiles{})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	bw := bufio.NewWriter(events)
	enc := json.NewEncoder(bw)
	var started *run.Started
	var done *run.Done
	var werr error
	emit := func(e run.Event) {
		if e.Started != nil {
			started = e.Started
		}
		if e.Done != nil {
			done = e.Done
		}
		if err := enc.Encode(e); err != nil && werr == nil {
			werr = err
		}
		if e.Type != run.TypeStep {
			bw.Flush() // an epoch or rank event is worth keeping at once
		}
		if progress != nil {
			progress(e, started)
		}
	}
	s, err := in.Start(emit)
	if err != nil {
		return nil, err
	}
	for s.Advance() {
		if werr != nil {
			return nil, fmt.Errorf("writing events: %w", werr)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return &Result{Session: s, Done: done}, nil
}

// LoadWeights reads an .npz export into net.
func LoadWeights(path string, net *supernet.Net) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := checkpoint.Read(f, st.Size(), net); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
