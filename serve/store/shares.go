package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Shares live in their own bucket "shares": share id -> the SHA-256 of
// its delete token (32 bytes), its creation time (Unix nanoseconds,
// big-endian, 8 bytes), then the record's JSON.

var bucketShares = []byte("shares")

// Share is a published run record.
type Share struct {
	ID        string
	TokenHash [32]byte
	Created   time.Time
	Record    []byte
}

// ErrShareExists and ErrNoShare are a taken and an unknown share id.
var (
	ErrShareExists = errors.New("store: a share with this id exists")
	ErrNoShare     = errors.New("store: no such share")
)

const shareHead = 32 + 8

// PutShare stores a new share; an id already taken is ErrShareExists.
func (s *Store) PutShare(sh Share) error {
	if sh.ID == "" {
		return errors.New("store: a share needs an id")
	}
	v := make([]byte, shareHead, shareHead+len(sh.Record))
	copy(v, sh.TokenHash[:])
	binary.BigEndian.PutUint64(v[32:], uint64(sh.Created.UnixNano()))
	v = append(v, sh.Record...)
	return s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketShares)
		if err != nil {
			return err
		}
		if b.Get([]byte(sh.ID)) != nil {
			return ErrShareExists
		}
		return b.Put([]byte(sh.ID), v)
	})
}

// GetShare reads a share; an unknown id is ErrNoShare.
func (s *Store) GetShare(id string) (Share, error) {
	sh := Share{ID: id}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShares)
		if b == nil {
			return ErrNoShare
		}
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNoShare
		}
		if len(v) < shareHead {
			return fmt.Errorf("store: share %q: record of %d bytes is shorter than its %d-byte head", id, len(v), shareHead)
		}
		copy(sh.TokenHash[:], v)
		sh.Created = time.Unix(0, int64(binary.BigEndian.Uint64(v[32:]))).UTC()
		sh.Record = append([]byte(nil), v[shareHead:]...) // v is valid only inside the transaction
		return nil
	})
	return sh, err
}

// DeleteShare removes a share; an unknown id is ErrNoShare.
func (s *Store) DeleteShare(id string) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShares)
		if b == nil || b.Get([]byte(id)) == nil {
			return ErrNoShare
		}
		return b.Delete([]byte(id))
	})
}

// Shares counts the stored shares.
func (s *Store) Shares() (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketShares); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}
