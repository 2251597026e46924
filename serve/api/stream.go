package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"pada/serve/store"
)

// How a stream keeps a quiet connection alive and gives up on a client
// that stops reading: a stalled write never blocks anything but its own
// handler, and not for longer than writeTimeout.
const (
	keepAlive    = 15 * time.Second
	writeTimeout = 30 * time.Second
)

// events streams a run's events as server-sent events, or with
// ?format=jsonl returns those so far as JSON lines. A stream reads stored
// events from the store and newer ones from the runner's memory; it waits
// on the runner's change signal and never makes the runner wait.
func (a *Server) events(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.record(w, r)
	if !ok {
		return
	}
	from, e := streamStart(r)
	if e != nil {
		writeError(w, e)
		return
	}
	jsonl := r.URL.Query().Get("format") == "jsonl"
	switch f := r.URL.Query().Get("format"); f {
	case "", "sse", "jsonl":
	default:
		writeError(w, &apiError{Code: http.StatusBadRequest, Msg: fmt.Sprintf("format %q: want sse or jsonl", f)})
		return
	}
	if !jsonl && !rec.State.Live() && a.m.lookup(rec.ID) == nil && from >= rec.Events {
		// Nothing more will come: 204 stops an EventSource from
		// reconnecting after it has read the whole run.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's read and write timeouts: lift the
	// read deadline (the request is read) and bound each write instead.
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if jsonl {
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Accel-Buffering", "no")
	}
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := w.Write(b)
		return err
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	pos := from
	var lastState, endState store.State
	for {
		var mem [][]byte
		var stored int
		var state store.State
		var changed <-chan struct{}
		var retry <-chan time.Time
		if rn := a.m.lookup(rec.ID); rn != nil {
			mem, stored, state, changed = rn.view(pos)
		} else if cur, err := a.st.Get(rec.ID); err == nil {
			stored, state = cur.Events, cur.State
			if state.Live() {
				// Being handed to a runner (a resume): look again soon.
				retry = time.After(100 * time.Millisecond)
			}
		} else {
			return // the run was deleted under us
		}
		live := state.Live()
		var buf bytes.Buffer
		emit := func(i int, e []byte) {
			if jsonl {
				buf.Write(e)
				buf.WriteByte('\n')
			} else {
				fmt.Fprintf(&buf, "id: %d\ndata: %s\n\n", i, e)
			}
			// json.Marshal writes run.Event's fields in order, so the
			// type is an event's first bytes; done and error end a run.
			switch {
			case bytes.HasPrefix(e, []byte(`{"type":"done"`)):
				endState = store.Done
			case bytes.HasPrefix(e, []byte(`{"type":"error"`)):
				endState = store.Failed
			}
		}
		// Stored events first, in pages, outside any lock or transaction.
		fromStore := pos < stored
		for pos < stored && endState == "" {
			evs, err := a.st.Events(rec.ID, pos, min(eventPage, stored-pos))
			if err != nil || len(evs) == 0 {
				return
			}
			for _, e := range evs {
				emit(pos, e)
				pos++
			}
			if err := write(buf.Bytes()); err != nil {
				return
			}
			buf.Reset()
		}
		if fromStore && endState == "" {
			// The view's memory part started past what was just read;
			// take a fresh view before waiting.
			rc.Flush()
			continue
		}
		for _, e := range mem {
			if endState != "" {
				break
			}
			emit(pos, e)
			pos++
		}
		done := endState != "" || jsonl || !live
		if !jsonl {
			switch {
			case done && endState != "":
				fmt.Fprintf(&buf, "event: end\ndata: {\"state\":%q}\n\n", endState)
			case done:
				fmt.Fprintf(&buf, "event: end\ndata: {\"state\":%q}\n\n", state)
			case state != lastState:
				fmt.Fprintf(&buf, "event: state\ndata: {\"state\":%q}\n\n", state)
			}
		}
		lastState = state
		if buf.Len() > 0 {
			if err := write(buf.Bytes()); err != nil {
				return
			}
		}
		rc.Flush()
		if done {
			return
		}
		select {
		case <-changed:
		case <-retry:
		case <-ping.C:
			if err := write([]byte(": ping\n\n")); err != nil {
				return
			}
			rc.Flush()
		case <-r.Context().Done():
			return
		case <-a.m.ctx.Done():
			return
		}
	}
}

// streamStart is the first event index to send: ?from=N, else one past
// Last-Event-ID (what an EventSource sends when it reconnects), else 0.
func streamStart(r *http.Request) (int, *apiError) {
	if s := r.URL.Query().Get("from"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, &apiError{Code: http.StatusBadRequest, Msg: fmt.Sprintf("from %q: want an event index >= 0", s)}
		}
		return n, nil
	}
	if s := r.Header.Get("Last-Event-ID"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, &apiError{Code: http.StatusBadRequest, Msg: fmt.Sprintf("Last-Event-ID %q: want an event index >= 0", s)}
		}
		return n + 1, nil
	}
	return 0, nil
}
