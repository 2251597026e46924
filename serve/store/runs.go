package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"pada/core/run"
)

// Create adds a queued run of cfg and returns its record. IDs are
// sequential, zero-padded so that they sort in creation order.
func (s *Store) Create(cfg run.Config) (Run, error) {
	var r Run
	err := s.update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		seq, err := runs.NextSequence()
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		r = Run{ID: fmt.Sprintf("%06d", seq), State: Queued, Created: now, Updated: now, Config: cfg}
		b, err := runs.CreateBucket([]byte(r.ID))
		if err != nil {
			return err
		}
		if _, err := b.CreateBucket(bucketEvents); err != nil {
			return err
		}
		if _, err := b.CreateBucket(bucketBlobs); err != nil {
			return err
		}
		return writeMeta(b, r)
	})
	if err != nil {
		return Run{}, fmt.Errorf("store: creating a run: %w", err)
	}
	return r, nil
}

// Get returns a run's record.
func (s *Store) Get(id string) (Run, error) {
	var r Run
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		r, err = readMeta(b, id)
		return err
	})
	return r, err
}

// List returns every run's record, oldest first.
func (s *Store) List() ([]Run, error) {
	var out []Run
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuns).ForEachBucket(func(k []byte) error {
			r, err := readMeta(tx.Bucket(bucketRuns).Bucket(k), string(k))
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// Write is one atomic change to a run: events appended after the stored
// ones, blobs put (a nil value deletes), then the record updated.
type Write struct {
	Events [][]byte
	Blobs  map[string][]byte
	Update func(*Run)
}

// Apply commits w to run id in one transaction and returns the new record.
func (s *Store) Apply(id string, w Write) (Run, error) {
	var r Run
	err := s.update(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		if r, err = readMeta(b, id); err != nil {
			return err
		}
		ev := b.Bucket(bucketEvents)
		for _, e := range w.Events {
			if err := ev.Put(eventKey(r.Events), e); err != nil {
				return err
			}
			r.Events++
		}
		bl := b.Bucket(bucketBlobs)
		for name, v := range w.Blobs {
			if v == nil {
				err = bl.Delete([]byte(name))
			} else {
				err = bl.Put([]byte(name), v)
			}
			if err != nil {
				return err
			}
		}
		if w.Update != nil {
			w.Update(&r)
		}
		r.ID = id
		r.Updated = time.Now().UTC()
		return writeMeta(b, r)
	})
	if err != nil {
		return Run{}, fmt.Errorf("store: run %s: %w", id, err)
	}
	return r, nil
}

// Update changes a run's record.
func (s *Store) Update(id string, fn func(*Run)) (Run, error) {
	return s.Apply(id, Write{Update: fn})
}

// Truncate drops the events from index n on, so that a resumed run
// continues the stream from its checkpoint.
func (s *Store) Truncate(id string, n int, fn func(*Run)) (Run, error) {
	var r Run
	err := s.update(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		if r, err = readMeta(b, id); err != nil {
			return err
		}
		if n < 0 || n > r.Events {
			return fmt.Errorf("truncating to %d of %d events", n, r.Events)
		}
		ev := b.Bucket(bucketEvents)
		c := ev.Cursor()
		for k, _ := c.Seek(eventKey(n)); k != nil; k, _ = c.Seek(eventKey(n)) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		r.Events = n
		if fn != nil {
			fn(&r)
		}
		r.Updated = time.Now().UTC()
		return writeMeta(b, r)
	})
	if err != nil {
		return Run{}, fmt.Errorf("store: run %s: %w", id, err)
	}
	return r, nil
}

// Events returns copies of up to max events of run id from index from on
// (max <= 0: all). Callers page through long runs in bounded reads so that
// no read transaction stays open while they write to a slow client.
func (s *Store) Events(id string, from, max int) ([][]byte, error) {
	var out [][]byte
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		c := b.Bucket(bucketEvents).Cursor()
		want := from
		for k, v := c.Seek(eventKey(from)); k != nil && (max <= 0 || len(out) < max); k, v = c.Next() {
			if !bytes.Equal(k, eventKey(want)) {
				return fmt.Errorf("store: run %s: event %d is missing", id, want)
			}
			out = append(out, bytes.Clone(v))
			want++
		}
		return nil
	})
	return out, err
}

// Blob returns a copy of a run's named blob, or nil when it has none.
func (s *Store) Blob(id, name string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		out = bytes.Clone(b.Bucket(bucketBlobs).Get([]byte(name)))
		return nil
	})
	return out, err
}

// Delete removes a run and everything stored with it.
func (s *Store) Delete(id string) error {
	return s.update(func(tx *bolt.Tx) error {
		if _, err := runBucket(tx, id); err != nil {
			return err
		}
		return tx.Bucket(bucketRuns).DeleteBucket([]byte(id))
	})
}

// MarkInterrupted sets every run that a server left queued, running or
// paused to interrupted, as a server does when it starts, with the reason,
// and returns their IDs.
func (s *Store) MarkInterrupted() ([]string, error) {
	var ids []string
	err := s.update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		return runs.ForEachBucket(func(k []byte) error {
			b := runs.Bucket(k)
			r, err := readMeta(b, string(k))
			if err != nil {
				return err
			}
			if !r.State.Live() {
				return nil
			}
			r.Reason = fmt.Sprintf("the server exited while the run was %s (it crashed or was killed)", r.State)
			if r.AutoResumes > 0 {
				r.Reason += "; the run had been resumed automatically, so it is not resumed automatically again: resume it by hand"
			}
			r.State = Interrupted
			r.Updated = time.Now().UTC()
			ids = append(ids, r.ID)
			return writeMeta(b, r)
		})
	})
	return ids, err
}

// Page returns up to limit records of the runs after the ID after ("" for
// the first), oldest first, and the ID to pass for the next page ("" at
// the end).
func (s *Store) Page(after string, limit int) ([]Run, string, error) {
	var out []Run
	next := ""
	err := s.view(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		c := runs.Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if v != nil {
				continue // not a run bucket
			}
			if len(out) == limit {
				next = out[len(out)-1].ID
				return nil
			}
			r, err := readMeta(runs.Bucket(k), string(k))
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, next, err
}

// Prune deletes the oldest finished runs (done, stopped or failed) until
// at most keep runs remain, and returns their IDs. Runs in other states
// are never deleted, so more than keep can remain.
func (s *Store) Prune(keep int) ([]string, error) {
	var ids []string
	err := s.update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		var all []Run
		if err := runs.ForEachBucket(func(k []byte) error {
			r, err := readMeta(runs.Bucket(k), string(k))
			all = append(all, r)
			return err
		}); err != nil {
			return err
		}
		over := len(all) - keep
		for _, r := range all {
			if over <= 0 {
				break
			}
			if r.State == Done || r.State == Stopped || r.State == Failed {
				if err := runs.DeleteBucket([]byte(r.ID)); err != nil {
					return err
				}
				ids = append(ids, r.ID)
				over--
			}
		}
		return nil
	})
	return ids, err
}

// Count returns the number of runs stored.
func (s *Store) Count() (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuns).ForEachBucket(func([]byte) error { n++; return nil })
	})
	return n, err
}
