package share

import (
	"context"
	"slices"
	"sync"
)

// MemStore keeps shares in memory: for tests, and for a server that
// need not keep them.
type MemStore struct {
	mu sync.Mutex
	m  map[string]Share
}

// Create implements Store.
func (s *MemStore) Create(_ context.Context, sh Share) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Share{}
	}
	if _, ok := s.m[sh.ID]; ok {
		return ErrExists
	}
	sh.Record = slices.Clone(sh.Record)
	s.m[sh.ID] = sh
	return nil
}

// Get implements Store.
func (s *MemStore) Get(_ context.Context, id string) (Share, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.m[id]
	if !ok {
		return Share{}, ErrNotFound
	}
	return sh, nil
}

// Delete implements Store.
func (s *MemStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[id]; !ok {
		return ErrNotFound
	}
	delete(s.m, id)
	return nil
}
