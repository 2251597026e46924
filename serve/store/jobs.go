package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketJobs maps the key of a job run elsewhere (a sweep's run on a
// worker of the queue) to the ID of the run that recorded its result.
var bucketJobs = []byte("jobs")

// Record adds a run that finished elsewhere, once per key: the first call
// with a key creates the run (r's state, config, result and error, with
// events) and maps the key to it, in one transaction; a later call with
// the same key changes nothing and returns the run recorded first, with
// added false. A result that a queue delivers twice is so stored once.
func (s *Store) Record(key string, r Run, events [][]byte) (out Run, added bool, err error) {
	if key == "" {
		return Run{}, false, fmt.Errorf("store: recording a run: empty job key")
	}
	err = s.update(func(tx *bolt.Tx) error {
		jobs, err := tx.CreateBucketIfNotExists(bucketJobs)
		if err != nil {
			return err
		}
		runs := tx.Bucket(bucketRuns)
		if id := jobs.Get([]byte(key)); id != nil {
			b, err := runBucket(tx, string(id))
			if err != nil {
				return fmt.Errorf("job %q: %w", key, err)
			}
			out, err = readMeta(b, string(id))
			return err
		}
		seq, err := runs.NextSequence()
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		out = r
		out.ID = fmt.Sprintf("%06d", seq)
		out.Created, out.Updated = now, now
		out.Events = len(events)
		b, err := runs.CreateBucket([]byte(out.ID))
		if err != nil {
			return err
		}
		ev, err := b.CreateBucket(bucketEvents)
		if err != nil {
			return err
		}
		if _, err := b.CreateBucket(bucketBlobs); err != nil {
			return err
		}
		for i, e := range events {
			if err := ev.Put(eventKey(i), e); err != nil {
				return err
			}
		}
		if err := jobs.Put([]byte(key), []byte(out.ID)); err != nil {
			return err
		}
		added = true
		return writeMeta(b, out)
	})
	if err != nil {
		return Run{}, false, fmt.Errorf("store: recording job %q: %w", key, err)
	}
	return out, added, nil
}

// Job returns the run recorded under a job key, or ErrNotFound.
func (s *Store) Job(key string) (Run, error) {
	var r Run
	err := s.view(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(bucketJobs)
		if jobs == nil {
			return ErrNotFound
		}
		id := jobs.Get([]byte(key))
		if id == nil {
			return ErrNotFound
		}
		b, err := runBucket(tx, string(id))
		if err != nil {
			return err
		}
		r, err = readMeta(b, string(id))
		return err
	})
	return r, err
}
