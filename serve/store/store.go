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
	// AutoResumes counts the resumes a server made on its own
	// (-resume-interrupted) since the run last stopped cleanly or was
	// resumed by hand: a run found live at start with AutoResumes > 0 took
	// the server down after an automatic resume, and is not resumed
	// automatically again.
	AutoResumes int `json:"auto_resumes,omitempty"`
	// Reason says why the run is interrupted.
	Reason string `json:"reason,omitempty"`
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

// ErrHeld is returned when another process (another server) holds the
// store file.
var ErrHeld = errors.New("another server holds it")

// ErrDamaged marks a store file that does not read back.
var ErrDamaged = errors.New("damaged")

// Open opens (creating if missing) the store at path. It fails rather
// than waits when another process holds the file (ErrHeld), and it refuses
// a file that is not a store of this schema or whose pages and records do
// not read back (ErrDamaged).
func Open(path string) (*Store, error) {
	if st, err := os.Stat(path); err == nil && st.Size() == 0 {
		// bbolt would initialise an empty file; an empty file where a
		// store should be is a truncated store, not a new one.
		return nil, fmt.Errorf("store %s: %w: the file is empty (truncated?)", path, ErrDamaged)
	}
	db, err := openBolt(path, false)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w: %w", path, ErrDamaged, err)
	}
	return s, nil
}

// openBolt opens the file and reads every page once (walk). bbolt panics
// (or faults on the mapping) on some damaged files instead of returning
// an error; both become an error here. bbolt's own tx.Check is not used:
// it runs in a goroutine of its own, where such a panic cannot be
// recovered and ends the process. A refused file's descriptor is then
// left to the garbage collector: the server does not go on with it.
func openBolt(path string, readOnly bool) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrDamaged, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: readOnly})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, ErrHeld
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if _, err := walk(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Stats is what a walk over a store found.
type Stats struct {
	Buckets, Keys int
	Bytes         int64 // keys and values
}

// walk reads every bucket, key and value of db in this goroutine, so that
// a damaged page panics (or faults) where recover sees it.
func walk(db *bolt.DB) (st Stats, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrDamaged, p)
		}
	}()
	var visit func(b *bolt.Bucket, depth int) error
	visit = func(b *bolt.Bucket, depth int) error {
		if depth > 8 {
			return fmt.Errorf("%w: buckets nested %d deep", ErrDamaged, depth)
		}
		st.Buckets++
		return b.ForEach(func(k, v []byte) error {
			st.Keys++
			st.Bytes += int64(len(k) + len(v))
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					return visit(sub, depth+1)
				}
			}
			return nil
		})
	}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return visit(b, 1) })
	})
	return st, err
}

// Check opens the store at path, reads every page and record, and
// reports what it holds; it is `serve store check`. It opens the file as
// a server does (a read-only open would skip the free list), so it fails
// with ErrHeld while a server runs on the store.
func Check(path string) (Stats, int, error) {
	if _, err := os.Stat(path); err != nil {
		return Stats{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	db, err := openBolt(path, false)
	if err != nil {
		return Stats{}, 0, fmt.Errorf("store %s: %w", path, err)
	}
	defer db.Close()
	st, err := walk(db)
	if err != nil {
		return st, 0, fmt.Errorf("store %s: %w", path, err)
	}
	s := &Store{db: db}
	err = s.view(func(tx *bolt.Tx) error {
		p := tx.Bucket(bucketPada)
		if p == nil || tx.Bucket(bucketRuns) == nil {
			return errors.New("not a pada run store (no schema record or no runs)")
		}
		if v := p.Get(keySchema); len(v) != 8 || binary.BigEndian.Uint64(v) != schema {
			return fmt.Errorf("schema %x is not %d", v, schema)
		}
		return nil
	})
	var runs []Run
	if err == nil {
		runs, err = s.List()
	}
	if err != nil {
		return st, 0, fmt.Errorf("store %s: %w: %w", path, ErrDamaged, err)
	}
	return st, len(runs), nil
}

// MoveAside renames a (damaged) store file to FILE.damaged-TIMESTAMP so
// that a fresh store can take its place, and returns the new name.
func MoveAside(path string) (string, error) {
	to := path + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
	if err := os.Rename(path, to); err != nil {
		return "", fmt.Errorf("store %s: moving the damaged file aside: %w", path, err)
	}
	return to, nil
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
