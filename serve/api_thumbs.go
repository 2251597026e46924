package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"pada/core/data"
	"pada/core/train"
	"pada/wasm/msg"
)

// maxThumbs bounds one thumbnail request (an epoch names 2×8 examples).
const maxThumbs = 64

// thumbs answers GET /api/runs/{id}/thumbs?ids=3,17,...: the pixels and
// labels of training examples of a run, by the ids its epoch events name
// (data.top, data.bottom), as a msg.Batch without events, which is what a
// Web Worker sends the page for the same ids. The page's data-importance
// view thus looks the same for a native run. The sets are rebuilt from
// the run's config, so a run finished before a restart still has them.
func (a *api) thumbs(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	var ids []int
	if q := r.URL.Query().Get("ids"); q != "" {
		for _, f := range strings.Split(q, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || id < 0 {
				writeError(w, &apiError{Code: http.StatusBadRequest, Field: "ids", Msg: fmt.Sprintf("ids: %q is not an example id", f)})
				return
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || len(ids) > maxThumbs {
		writeError(w, &apiError{Code: http.StatusBadRequest, Field: "ids", Msg: fmt.Sprintf("ids: want 1 to %d comma-separated example ids", maxThumbs)})
		return
	}
	trainFile, evalFile, err := loadData(rec.Config)
	if err == nil {
		var sets train.Sets
		if sets, err = train.BuildSets(rec.Config, trainFile, evalFile); err == nil {
			n, ok := sets.Train.(*data.Normalized)
			if !ok {
				err = fmt.Errorf("the training set of run %s has no raw images", rec.ID)
			} else {
				b := msg.Batch{Thumbs: map[int][]byte{}, Labels: map[int]int{}, C: n.Set.C, H: n.Set.H, W: n.Set.W}
				for _, id := range ids {
					if id >= n.Set.N {
						writeError(w, &apiError{Code: http.StatusBadRequest, Field: "ids", Msg: fmt.Sprintf("ids: %d is past the %d training examples", id, n.Set.N)})
						return
					}
					b.Thumbs[id] = n.Set.Image(id)
					b.Labels[id] = int(n.Set.Labels[id])
				}
				writeJSON(w, http.StatusOK, b)
				return
			}
		}
	}
	writeError(w, &apiError{Code: http.StatusInternalServerError, Msg: fmt.Sprintf("run %s: %v", rec.ID, err)})
}
