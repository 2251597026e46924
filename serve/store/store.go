// Package store keeps the native server's runs on disk: each run's Config
// and state, its events in order, and its results (ranking, weights, the
// training checkpoint it can resume from). It is one bbolt file: every
// change is a single fsync'd transaction, so a crash leaves a run as it was
// at its last committed write, never half of one.
//
// Layout: bucket "pada" holds the schema version; bucket "runs" holds one
// bucket per run ID with key "meta" (the Run as JSON), a bucket "events"
// (big-endian event index -> event JSON) and a bucket "blobs" (name ->
// bytes).
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"

	"pada/core/run"
)

// schema is the layout version this code reads and writes.
const schema = 1

// State is where a run stands.
type State string

// The states of a run. Queued, running and paused runs live in a server;
// a server that stops without finishing them leaves them interrupted.
const (
	Queued      State = "queued"
	Running     State = "running"
	Paused      State = "paused"
	Done        State = "done"
	Stopped     State = "stopped"
	Failed      State = "failed"
	Interrupted State = "interrupted"
)

// Live reports whether a run in this state belongs to a running server.
func (s State) Live() bool { return s == Queued || s == Running || s == Paused }

// Run is a run's record.
type Run struct {
	ID      string     `json:"id"`
	State   State      `json:"state"`
	Created time.Time  `json:"created"`
	Updated time.Time  `json:"updated"`
	Config  run.Config `json:"config"`
	// Events is the number of events stored.
	Events int `json:"events"`
	// EpochsDone counts the epoch events stored.
	EpochsDone int `json:"epochs_done"`
	// Checkpoint is the number of events the stored checkpoint follows
	// (0: none): resuming keeps those events and drops any after them.
	Checkpoint       int `json:"checkpoint_events,omitempty"`
	CheckpointEpochs int `json:"checkpoint_epochs,omitempty"`
	// Done is the final summary of a finished run.
	Done    *run.Done `json:"done,omitempty"`
	Error   string    `json:"error,omitempty"`
	Resumes int       `json:"resumes,omitempty"`
}

// ErrNotFound is returned for a run ID the store does not hold.
var ErrNotFound = errors.New("store: no such run")

var (
	bucketPada   = []byte("pada")
	bucketRuns   = []byte("runs")
	bucketEvents = []byte("events")
	bucketBlobs  = []byte("blobs")
	keyMeta      = []byte("meta")
	keySchema    = []byte("schema")
)

// Store is an open run store. Its methods are safe for concurrent use.
type Store struct {
	db *bolt.DB
}

// Open opens (creating if missing) the store at path. It fails rather
// than waits when another process holds the file, and it refuses a file
// that is not a store of this schema or whose records do not read back.
func Open(path string) (*Store, error) {
	if st, err := os.Stat(path); err == nil && st.Size() == 0 {
		// bbolt would initialise an empty file; an empty file where a
		// store should be is a truncated store, not a new one.
		return nil, fmt.Errorf("store %s: the file is empty (truncated?)", path)
	}
	db, err := openBolt(path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

// openBolt opens the file and checks every page once. bbolt panics (or
// faults on the mapping) on some damaged files instead of returning an
// error; both become an error here. A refused file's descriptor is then
// left to the garbage collector: the server does not go on with it.
func openBolt(path string) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err // the first problem is enough to refuse the file
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("damaged database: %w", err)
	}
	return db, nil
}

// init creates the buckets of a new store or checks an existing one, then
// reads every record once so that a damaged file fails here, not later.
func (s *Store) init() error {
	err := s.update(func(tx *bolt.Tx) error {
		p := tx.Bucket(bucketPada)
		if p == nil {
			if tx.Bucket(bucketRuns) != nil {
				return errors.New("not a pada run store (no schema record)")
			}
			var err error
			if p, err = tx.CreateBucket(bucketPada); err != nil {
				return err
			}
			if err := p.Put(keySchema, binary.BigEndian.AppendUint64(nil, schema)); err != nil {
				return err
			}
		}
		v := p.Get(keySchema)
		if len(v) != 8 || binary.BigEndian.Uint64(v) != schema {
			return fmt.Errorf("schema %x is not %d", v, schema)
		}
		_, err := tx.CreateBucketIfNotExists(bucketRuns)
		return err
	})
	if err != nil {
		return err
	}
	_, err = s.List()
	return err
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// view and update run a transaction and turn a panic in bbolt (which it
// raises on some damaged pages) into an error.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return s.db.Update(fn)
}

func recoverCorrupt(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("store: damaged database: %v", p)
	}
}

func runBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	b := tx.Bucket(bucketRuns).Bucket([]byte(id))
	if b == nil {
		return nil, fmt.Errorf("%w %q", ErrNotFound, id)
	}
	return b, nil
}

func readMeta(b *bolt.Bucket, id string) (Run, error) {
	var r Run
	v := b.Get(keyMeta)
	if v == nil {
		return r, fmt.Errorf("store: run %q has no record", id)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("store: run %q: %w", id, err)
	}
	return r, nil
}

func writeMeta(b *bolt.Bucket, r Run) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: run %q: %w", r.ID, err)
	}
	return b.Put(keyMeta, v)
}

func eventKey(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }
