// Package share is the share API: a finished race published as a run
// record (run.Record) under a random id, fetched by anyone who has the
// id, deleted by whoever holds the token it was published with. The
// native server (serve) and the Cloudflare Worker (wasm/edge) both serve
// this Handler over their own Store, so the two speak the same API byte
// for byte.
//
//	GET    /api/shares        {"shares":true,"record_version":1,"max_bytes":N}: publishing is
//	                          available here (a static host answers no JSON)
//	POST   /api/shares        body: a run record, Content-Type application/json
//	                          201 {"id","token","url","bytes"}, Location /api/shares/{id};
//	                          400 names the field or byte offset, 413 too large,
//	                          415 not JSON, 422 another record version,
//	                          429 too many publications from this client (Retry-After)
//	GET    /api/shares/{id}   200 the record as JSON (nosniff, a CSP that runs nothing,
//	                          Last-Modified: when it was published); 404
//	DELETE /api/shares/{id}   Authorization: Bearer {token}: 204; 403 without or with a wrong token; 404
//
// The token is shown once, in the answer to the POST: the store keeps
// only its SHA-256. Both ids and tokens are 128 random bits, base64url.
package share

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"pada/core/run"
)

// Errors a Store returns.
var (
	ErrNotFound = errors.New("no such share")
	ErrExists   = errors.New("a share with this id exists")
)

// Share is one stored share.
type Share struct {
	ID        string
	TokenHash [sha256.Size]byte // SHA-256 of the delete token
	Created   time.Time
	Record    []byte // the record's JSON as this API encodes it
}

// Store keeps shares. Create fails with ErrExists on a taken id; Get and
// Delete with ErrNotFound on an unknown one.
type Store interface {
	Create(ctx context.Context, s Share) error
	Get(ctx context.Context, id string) (Share, error)
	Delete(ctx context.Context, id string) error
}

// Limiter counts a client's publications: Allow returns 0 to let one
// more through, or how long the client should wait.
type Limiter interface {
	Allow(ctx context.Context, client string, now time.Time) (retry time.Duration, err error)
}

// Handler serves the share API.
type Handler struct {
	Store   Store
	Limiter Limiter // nil: no limit
	// Client names the caller for the limiter (e.g. its IP address).
	Client func(*http.Request) string
	Now    func() time.Time // nil: time.Now
}

// Register adds the API's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/shares", h.info)
	mux.HandleFunc("POST /api/shares", h.publish)
	mux.HandleFunc("GET /api/shares/{id}", h.fetch)
	mux.HandleFunc("DELETE /api/shares/{id}", h.delete)
}

// Published is the answer to a publication.
type Published struct {
	ID    string `json:"id"`
	Token string `json:"token"` // the delete token: shown once, stored as a hash
	URL   string `json:"url"`   // the page's permalink, relative to the site
	Bytes int    `json:"bytes"` // the record as stored
}

// Error is an error answer, the same shape as the run API's.
type Error struct {
	Code   int    `json:"-"`
	Msg    string `json:"error"`
	Field  string `json:"field,omitempty"`
	Offset *int64 `json:"offset,omitempty"`
}

func (e *Error) Error() string { return e.Msg }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Info is the answer to GET /api/shares: what a page needs to know
// before offering to publish.
type Info struct {
	Shares        bool `json:"shares"`
	RecordVersion int  `json:"record_version"`
	MaxBytes      int  `json:"max_bytes"`
}

func (h *Handler) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Info{Shares: true, RecordVersion: run.RecordVersion, MaxBytes: run.MaxRecordBytes})
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, &Error{Code: http.StatusUnsupportedMediaType, Msg: fmt.Sprintf("Content-Type %q: a share is sent as application/json", r.Header.Get("Content-Type"))})
		return
	}
	if h.Limiter != nil {
		client := "unknown"
		if h.Client != nil {
			client = h.Client(r)
		}
		retry, err := h.Limiter.Allow(r.Context(), client, h.now())
		if err != nil {
			writeError(w, &Error{Code: http.StatusInternalServerError, Msg: "rate limit: " + err.Error()})
			return
		}
		if retry > 0 {
			secs := int((retry + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, &Error{Code: http.StatusTooManyRequests, Msg: fmt.Sprintf("too many shares published from here: try again in %d s", secs)})
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, run.MaxRecordBytes+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(body) > run.MaxRecordBytes:
		writeError(w, &Error{Code: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("a share is at most %d bytes", run.MaxRecordBytes)})
		return
	case err != nil:
		writeError(w, &Error{Code: http.StatusBadRequest, Msg: "reading the body: " + err.Error()})
		return
	}
	rec, err := run.DecodeRecord(body)
	if err != nil {
		writeError(w, recordError(err))
		return
	}
	// Stored as this code encodes it, not as sent: one meaning per field
	// (no duplicate keys), and <, >, & escaped, so no markup is in it.
	canon, err := json.Marshal(rec)
	if err != nil {
		writeError(w, &Error{Code: http.StatusBadRequest, Msg: "record: " + err.Error()})
		return
	}
	if len(canon) > run.MaxRecordBytes {
		writeError(w, &Error{Code: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the record is %d bytes once its markup characters are escaped: at most %d", len(canon), run.MaxRecordBytes)})
		return
	}
	token, err := randomID()
	if err != nil {
		writeError(w, &Error{Code: http.StatusInternalServerError, Msg: err.Error()})
		return
	}
	s := Share{TokenHash: sha256.Sum256([]byte(token)), Created: h.now().UTC(), Record: canon}
	for range 3 { // 128 random bits do not collide; a broken generator might
		if s.ID, err = randomID(); err != nil {
			break
		}
		if err = h.Store.Create(r.Context(), s); !errors.Is(err, ErrExists) {
			break
		}
	}
	if err != nil {
		writeError(w, &Error{Code: http.StatusInternalServerError, Msg: "storing the share: " + err.Error()})
		return
	}
	w.Header().Set("Location", "/api/shares/"+s.ID)
	writeJSON(w, http.StatusCreated, Published{ID: s.ID, Token: token, URL: "/#share=" + s.ID, Bytes: len(canon)})
}

// recordError maps a record's error to its answer.
func recordError(err error) *Error {
	var re *run.RecordError
	var ve *run.VersionError
	switch {
	case errors.Is(err, run.ErrRecordTooLarge):
		return &Error{Code: http.StatusRequestEntityTooLarge, Msg: err.Error()}
	case errors.As(err, &ve):
		return &Error{Code: http.StatusUnprocessableEntity, Msg: err.Error(), Field: "version"}
	case errors.As(err, &re):
		e := &Error{Code: http.StatusBadRequest, Msg: err.Error(), Field: re.Field}
		if re.Offset >= 0 {
			e.Offset = &re.Offset
		}
		return e
	}
	return &Error{Code: http.StatusBadRequest, Msg: err.Error()}
}

func (h *Handler) fetch(w http.ResponseWriter, r *http.Request) {
	s, ok := h.lookup(w, r)
	if !ok {
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Opened directly, the record is a document that may run nothing.
	hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
	hd.Set("Cache-Control", "no-cache")
	// When it was published, which a replay shows (the record itself
	// carries no date: a date from the publisher would be its word).
	hd.Set("Last-Modified", s.Created.UTC().Format(http.TimeFormat))
	hd.Set("Content-Length", strconv.Itoa(len(s.Record)))
	w.WriteHeader(http.StatusOK)
	w.Write(s.Record)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		writeError(w, &Error{Code: http.StatusForbidden, Msg: "deleting a share needs its delete token (Authorization: Bearer TOKEN)"})
		return
	}
	s, ok := h.lookup(w, r)
	if !ok {
		return
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], s.TokenHash[:]) != 1 {
		writeError(w, &Error{Code: http.StatusForbidden, Msg: "wrong delete token for this share"})
		return
	}
	if err := h.Store.Delete(r.Context(), s.ID); err != nil && !errors.Is(err, ErrNotFound) {
		writeError(w, &Error{Code: http.StatusInternalServerError, Msg: "deleting the share: " + err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// lookup finds the share the path names, answering 404 for an id that
// is not one or not stored.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (Share, bool) {
	id := r.PathValue("id")
	if !ValidID(id) {
		writeError(w, &Error{Code: http.StatusNotFound, Msg: "no such share: an id is 22 characters of A-Z a-z 0-9 - _"})
		return Share{}, false
	}
	s, err := h.Store.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, &Error{Code: http.StatusNotFound, Msg: "no such share (deleted, or never published here)"})
		return Share{}, false
	case err != nil:
		writeError(w, &Error{Code: http.StatusInternalServerError, Msg: "reading the share: " + err.Error()})
		return Share{}, false
	}
	return s, true
}

// randomID is 128 bits from the system's random source, base64url.
func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ValidID reports whether id has the form randomID gives.
func ValidID(id string) bool { return run.ValidShareID(id) }

func writeError(w http.ResponseWriter, e *Error) { writeJSON(w, e.Code, e) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
