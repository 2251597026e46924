package store

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"pada/core/run"
)

// TestRecordOnce records a job's run twice under one key and checks that
// the store holds it once, with its events, across a reopen.
func TestRecordOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := run.Preset("mini")
	if err != nil {
		t.Fatal(err)
	}
	events := [][]byte{[]byte(`{"type":"started"}`), []byte(`{"type":"done"}`)}
	want := Run{State: Done, Config: cfg, Done: &run.Done{Tau: 0.5, Archs: 10}, EpochsDone: 1}
	first, added, err := s.Record("sweep-a.r1", want, events)
	if err != nil || !added {
		t.Fatalf("first Record: added %v, err %v", added, err)
	}
	again, added, err := s.Record("sweep-a.r1", Run{State: Failed, Config: cfg}, events[:1])
	if err != nil || added {
		t.Fatalf("second Record: added %v, err %v", added, err)
	}
	if !reflect.DeepEqual(again, first) {
		t.Errorf("second Record returned %+v, want the first %+v", again, first)
	}
	if _, err := s.Job("sweep-a.r2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Job of an unknown key: %v", err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Job("sweep-a.r1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, first) {
		t.Errorf("after reopen %+v, want %+v", got, first)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List: %d runs, %v", len(list), err)
	}
	ev, err := s.Events(first.ID, 0, 10)
	if err != nil || !reflect.DeepEqual(ev, events) {
		t.Errorf("events %q, %v; want %q", ev, err, events)
	}
}
