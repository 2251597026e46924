package api

import (
	"container/list"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"pada/core/data"
	"pada/core/run"
	"pada/core/train"
	"pada/serve/native"
)

// maxThumbs bounds one thumbnail request (an epoch names 2×8 examples).
const maxThumbs = 64

// thumbRuns is how many runs' training images the thumbnail cache holds.
const thumbRuns = 2

// thumbs answers GET /api/runs/{id}/thumbs?ids=3,17,...: the pixels and
// labels of training examples of a run, by the ids its epoch events name
// (data.top, data.bottom), as a run.Batch without events, which is what a
// Web Worker sends the page for the same ids. The page's data-importance
// view thus looks the same for a native run. The sets are rebuilt from
// the run's config (so a run finished before a restart still has them),
// once per run: the cache keeps the last thumbRuns runs' images.
func (a *Server) thumbs(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	var ids []int
	parts := strings.Split(r.URL.Query().Get("ids"), ",")
	if len(parts) > maxThumbs || parts[0] == "" {
		writeError(w, &apiError{Code: http.StatusBadRequest, Field: "ids", Msg: fmt.Sprintf("ids: want 1 to %d comma-separated example ids", maxThumbs)})
		return
	}
	for _, f := range parts {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || id < 0 {
			writeError(w, &apiError{Code: http.StatusBadRequest, Field: "ids", Msg: fmt.Sprintf("ids: %.20q is not an example id", f)})
			return
		}
		ids = append(ids, id)
	}
	set, err := a.tcache.get(rec.ID, func() (*data.Set, error) {
		// The same admission as a run: a stored Config from a server
		// with other limits is not loaded here either.
		if err := a.vet(rec.Config); err != nil {
			return nil, err
		}
		trainFile, evalFile, err := native.LoadData(rec.Config, a.files)
		if err != nil {
			return nil, err
		}
		sets, err := train.BuildSets(rec.Config, trainFile, evalFile)
		if err != nil {
			return nil, err
		}
		n, ok := sets.Train.(*data.Normalized)
		if !ok {
			return nil, fmt.Errorf("the training set of run %s has no raw images", rec.ID)
		}
		return n.Set, nil
	})
	if err != nil {
		writeError(w, &apiError{Code: http.StatusBadRequest, Msg: fmt.Sprintf("run %s: %v", rec.ID, err)})
		return
	}
	b := run.Batch{Thumbs: map[int][]byte{}, Labels: map[int]int{}, C: set.C, H: set.H, W: set.W}
	for _, id := range ids {
		if id >= set.N {
			writeError(w, &apiError{Code: http.StatusBadRequest, Field: "ids", Msg: fmt.Sprintf("ids: %d is past the %d training examples", id, set.N)})
			return
		}
		b.Thumbs[id] = set.Image(id)
		b.Labels[id] = int(set.Labels[id])
	}
	writeJSON(w, http.StatusOK, b)
}

// thumbCache keeps the training images of the last few runs asked for.
// One load runs at a time, so that many requests for runs not cached
// cannot build many datasets at once.
type thumbCache struct {
	load sync.Mutex // held while loading
	mu   sync.Mutex
	lru  list.List // of *thumbEntry, most recent first
}

type thumbEntry struct {
	id  string
	set *data.Set
}

// get returns run id's images, loading them with load when not cached.
func (c *thumbCache) get(id string, load func() (*data.Set, error)) (*data.Set, error) {
	if s := c.lookup(id); s != nil {
		return s, nil
	}
	c.load.Lock()
	defer c.load.Unlock()
	if s := c.lookup(id); s != nil {
		return s, nil // loaded while this request waited
	}
	s, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.PushFront(&thumbEntry{id, s})
	for c.lru.Len() > thumbRuns {
		c.lru.Remove(c.lru.Back())
	}
	return s, nil
}

func (c *thumbCache) lookup(id string) *data.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.lru.Front(); e != nil; e = e.Next() {
		if t := e.Value.(*thumbEntry); t.id == id {
			c.lru.MoveToFront(e)
			return t.set
		}
	}
	return nil
}

// forget drops a deleted run's images.
func (c *thumbCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.lru.Front(); e != nil; e = e.Next() {
		if e.Value.(*thumbEntry).id == id {
			c.lru.Remove(e)
			return
		}
	}
}
