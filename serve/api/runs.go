package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"pada/core/run"
	"pada/serve/store"
)

// runSummary is one row of the run list.
type runSummary struct {
	ID         string      `json:"id"`
	State      store.State `json:"state"`
	Created    time.Time   `json:"created"`
	Updated    time.Time   `json:"updated"`
	Preset     string      `json:"preset,omitempty"`
	Path       string      `json:"path"`
	Data       string      `json:"data"`
	Dataset    string      `json:"dataset"`
	Epochs     int         `json:"epochs"`
	EpochsDone int         `json:"epochs_done"`
	Seed       uint64      `json:"seed"`
	Events     int         `json:"events"`
	Done       *run.Done   `json:"done,omitempty"` // tau, rho, top10... once done
	Error      string      `json:"error,omitempty"`
	Reason     string      `json:"reason,omitempty"` // why it is interrupted
}

func summarize(r store.Run) runSummary {
	c := r.Config
	return runSummary{ID: r.ID, State: r.State, Created: r.Created, Updated: r.Updated,
		Preset: c.Preset, Path: c.Sampler.Path, Data: c.Sampler.Data, Dataset: c.Data.Name,
		Epochs: c.Epochs, EpochsDone: r.EpochsDone, Seed: c.Seed, Events: r.Events, Done: r.Done, Error: r.Error, Reason: r.Reason}
}

func (a *Server) create(w http.ResponseWriter, r *http.Request) {
	cfg, e := readConfig(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if err := a.vet(cfg); err != nil {
		writeError(w, fieldError(err))
		return
	}
	rn, err := a.m.create(cfg)
	if err != nil {
		if errors.Is(err, errBusy) {
			w.Header().Set("Retry-After", "10")
		}
		writeError(w, controlError(err))
		return
	}
	w.Header().Set("Location", "/api/runs/"+rn.id)
	writeJSON(w, http.StatusCreated, map[string]any{"id": rn.id, "state": rn.snapshotState()})
}

// controlError maps the manager's errors to answers.
func controlError(err error) *apiError {
	switch {
	case errors.Is(err, errBusy):
		return &apiError{Code: http.StatusServiceUnavailable, Msg: err.Error()}
	case errors.Is(err, errConflict):
		return &apiError{Code: http.StatusConflict, Msg: err.Error()}
	case errors.Is(err, errRefused):
		return fieldError(err)
	}
	return storeError(err)
}

// fieldError is a 400 naming the Config field of err when it has one.
func fieldError(err error) *apiError {
	e := &apiError{Code: http.StatusBadRequest, Msg: err.Error()}
	var fe *run.FieldError
	if errors.As(err, &fe) {
		e.Field = fe.Field
	}
	return e
}

// Paging of GET /api/runs.
const (
	runsPage    = 100
	maxRunsPage = 1000
)

// list answers GET /api/runs[?limit=N][&cursor=ID]: up to limit runs
// (default runsPage, at most maxRunsPage) after the run cursor names,
// oldest first, and "next", the cursor of the following page ("" at the
// end).
func (a *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := runsPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRunsPage {
			writeError(w, &apiError{Code: http.StatusBadRequest, Field: "limit", Msg: fmt.Sprintf("limit %q: want 1 to %d", v, maxRunsPage)})
			return
		}
		limit = n
	}
	cursor := q.Get("cursor")
	if len(cursor) > 32 {
		writeError(w, &apiError{Code: http.StatusBadRequest, Field: "cursor", Msg: "cursor: want a run id"})
		return
	}
	runs, next, err := a.st.Page(cursor, limit)
	if err != nil {
		writeError(w, storeError(err))
		return
	}
	out := make([]runSummary, 0, len(runs))
	for _, rec := range runs {
		out = append(out, summarize(a.current(rec)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": out, "next": next})
}

// current overlays a live run's state, which can be ahead of the store
// by a moment (a stop requested, a run just started).
func (a *Server) current(rec store.Run) store.Run {
	if rn := a.m.lookup(rec.ID); rn != nil {
		rec.State = rn.snapshotState()
	}
	return rec
}

// record reads run {id}, answering 404 itself when there is none.
func (a *Server) record(w http.ResponseWriter, r *http.Request) (store.Run, bool) {
	rec, err := a.st.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, storeError(err))
		return rec, false
	}
	return a.current(rec), true
}

func (a *Server) get(w http.ResponseWriter, r *http.Request) {
	if rec, ok := a.record(w, r); ok {
		writeJSON(w, http.StatusOK, rec)
	}
}

func (a *Server) delete(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	if rec.State.Live() || a.m.lookup(rec.ID) != nil {
		writeError(w, &apiError{Code: http.StatusConflict, Msg: fmt.Sprintf("run %s is %s; stop it first", rec.ID, rec.State)})
		return
	}
	if err := a.st.Delete(rec.ID); err != nil {
		writeError(w, storeError(err))
		return
	}
	a.tcache.forget(rec.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (a *Server) control(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var state store.State
	var err error
	switch action := r.PathValue("action"); action {
	case "pause":
		state, err = a.m.pause(id)
	case "resume":
		state, err = a.m.resume(id)
	case "stop":
		state, err = a.m.stop(id)
	default:
		writeError(w, &apiError{Code: http.StatusNotFound, Msg: fmt.Sprintf("no action %q: want pause, resume or stop", action)})
		return
	}
	if err != nil {
		writeError(w, controlError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "state": state})
}

// blob serves a stored result, or 404 saying when it will exist.
func (a *Server) blob(w http.ResponseWriter, r *http.Request, name, ctype string) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	b, err := a.st.Blob(rec.ID, name)
	if err != nil {
		writeError(w, storeError(err))
		return
	}
	if b == nil {
		writeError(w, &apiError{Code: http.StatusNotFound,
			Msg: fmt.Sprintf("run %s (%s) has no %s yet: it is written when a run is paused, stopped or done", rec.ID, rec.State, name)})
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", "attachment")
	w.Write(b)
}

func (a *Server) ranking(w http.ResponseWriter, r *http.Request) {
	a.blob(w, r, blobRanking, "text/csv; charset=utf-8")
}

func (a *Server) weights(w http.ResponseWriter, r *http.Request) {
	a.blob(w, r, blobWeights, "application/octet-stream")
}

// metrics writes one CSV row per epoch event.
func (a *Server) metrics(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write([]string{"epoch", "train_loss", "train_acc", "val_acc", "gv", "gv_per_param", "seconds"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	err := a.eachEvent(rec.ID, func(raw []byte) error {
		if !bytes.HasPrefix(raw, []byte(`{"type":"epoch"`)) {
			return nil
		}
		var e run.Event
		if err := json.Unmarshal(raw, &e); err != nil || e.Epoch == nil {
			return fmt.Errorf("stored epoch event %.80s: %v", raw, err)
		}
		p := e.Epoch
		return cw.Write([]string{strconv.Itoa(p.Epoch), f(p.TrainLoss), f(p.TrainAcc), f(p.ValAcc), f(p.GV), f(p.GVPerParam), f(p.Seconds)})
	})
	cw.Flush()
	if err != nil {
		writeError(w, storeError(err))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment")
	w.Write(b.Bytes())
}

// eachEvent calls fn on every stored event of a run, in pages.
func (a *Server) eachEvent(id string, fn func([]byte) error) error {
	for from := 0; ; {
		evs, err := a.st.Events(id, from, eventPage)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(evs) < eventPage {
			return nil
		}
		from += len(evs)
	}
}

// eventPage is how many events one store read returns at most.
const eventPage = 512

// export writes the whole run as one JSON object: the record, every
// stored event and the ranking rows.
func (a *Server) export(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	ranking, err := a.st.Blob(rec.ID, blobRanking)
	if err != nil {
		writeError(w, storeError(err))
		return
	}
	rows, err := rankingRows(ranking)
	if err != nil {
		writeError(w, storeError(err))
		return
	}
	// A long run's export may take longer than the server's write
	// timeout: each page of events extends the deadline.
	rc := http.NewResponseController(w)
	head, _ := json.Marshal(rec)
	rk, _ := json.Marshal(rows)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "attachment") // no filename: the page's download name wins
	// Events are written as they are read so that a long run is never
	// held in memory whole; a store error midway ends the body early,
	// which the client sees as invalid JSON.
	fmt.Fprintf(w, `{"version":%s,"run":%s,"ranking":%s,"events":[`, strconv.Quote(apiVersion), head, rk)
	first := true
	a.eachEvent(rec.ID, func(e []byte) error {
		if !first {
			w.Write([]byte(",\n"))
		}
		first = false
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := w.Write(e)
		return err
	})
	w.Write([]byte("]}\n"))
}

// rankRow is one architecture of a ranking.
type rankRow struct {
	Arch  string   `json:"arch"`
	Pred  float64  `json:"predicted_acc"`
	Truth *float64 `json:"truth_acc"` // null when unknown
}

// rankingRows parses the ranking CSV that train.Session.WriteCSV writes.
func rankingRows(b []byte) ([]rankRow, error) {
	rows := []rankRow{}
	if len(b) == 0 {
		return rows, nil
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("stored ranking: %w", err)
	}
	for i, rc := range recs {
		if i == 0 || len(rc) < 3 { // arch, predicted, truth, then proxies
			continue
		}
		row := rankRow{Arch: rc[0]}
		if row.Pred, err = strconv.ParseFloat(rc[1], 64); err != nil {
			return nil, fmt.Errorf("stored ranking row %d: %w", i, err)
		}
		if s := strings.TrimSpace(rc[2]); s != "" {
			t, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("stored ranking row %d: %w", i, err)
			}
			row.Truth = &t
		}
		rows = append(rows, row)
	}
	return rows, nil
}
