package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestShares(t *testing.T) {
	s, path := openTemp(t)
	sh := Share{ID: "AAAAAAAAAAAAAAAAAAAAAA", TokenHash: [32]byte{1, 2, 3, 31: 9}, Created: time.Unix(1700000000, 123).UTC(), Record: []byte(`{"version":1}`)}
	if _, err := s.GetShare(sh.ID); !errors.Is(err, ErrNoShare) {
		t.Fatalf("get from an empty store: %v", err)
	}
	if err := s.PutShare(sh); err != nil {
		t.Fatal(err)
	}
	if err := s.PutShare(sh); !errors.Is(err, ErrShareExists) {
		t.Fatalf("second put of one id: %v", err)
	}
	s.Close()
	s, err := Open(path) // shares survive a restart and leave the runs readable
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetShare(sh.ID)
	if err != nil || !reflect.DeepEqual(got, sh) {
		t.Fatalf("got %+v, %v; want %+v", got, err, sh)
	}
	if n, err := s.Shares(); n != 1 || err != nil {
		t.Fatalf("Shares() = %d, %v", n, err)
	}
	if err := s.DeleteShare(sh.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteShare(sh.ID); !errors.Is(err, ErrNoShare) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.GetShare(sh.ID); !errors.Is(err, ErrNoShare) {
		t.Fatalf("get after delete: %v", err)
	}
}
