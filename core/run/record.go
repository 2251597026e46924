package run

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"pada/core/space"
)

// RecordVersion is the run-record format this code reads and writes.
const RecordVersion = 1

// Bounds on a record. A record comes from anyone who can publish, so
// everything it can make a reader allocate or draw is bounded here, in
// one place, for the servers and the page alike.
const (
	MaxRecordBytes   = 1 << 20 // the JSON text
	MaxRecordRuns    = 8       // runs in one race (the page races at most 4)
	MaxRecordEvents  = 20000   // events over all runs
	MaxRecordRanking = 15625   // ranking rows per run: the whole NB201 space
	MaxRecordString  = 256     // any one string (labels, arch strings, class names, code version)
	MaxRecordText    = 2048    // the longer strings: the page settings, error messages, title
	MaxRecordList    = 1025    // any one list inside an event (class names, histogram bins, example ids)
	// A run's example pictures (RecordRun.Examples): at most this many
	// examples, each at most MaxRecordThumbSide pixels a side.
	MaxRecordExamples  = 32
	MaxRecordThumbSide = 32
)

// Record is a finished race as the page publishes and replays it: every
// run's Config and its events exactly as the run emitted them, plus its
// ranking, so that a reader can redraw every chart, the ranking and the
// Kendall tau without training. A run's seed is its Config's seed.
type Record struct {
	Version int `json:"version"` // RecordVersion
	// Space is the search space the architectures come from ("nb201").
	Space string `json:"space"`
	// Code names the code that produced the runs (a VCS revision, or
	// "devel"), so that a reader can tell whose numbers they are.
	Code string `json:"code"`
	// Title is an optional caption for the race, shown as text.
	Title string `json:"title,omitempty"`
	// Settings is the page's settings as it writes them into its URL hash
	// (e.g. "epochs=6&runs=uniform,pa"), which "train it yourself" loads;
	// empty for a record that did not come from the page.
	Settings string      `json:"settings,omitempty"`
	Runs     []RecordRun `json:"runs"`
}

// RecordRun is one run of a race.
type RecordRun struct {
	// Label is what the race calls the run, e.g. "PA&DA".
	Label  string `json:"label"`
	Config Config `json:"config"`
	// Kernels names the backend and matrix kernels that computed the run
	// (the started event's backend, e.g. "wasm/go" or "cpu/avx2"): a run
	// is reproducible bit for bit on the same kernels and thread count.
	Kernels string `json:"kernels"`
	// Events are the run's events in order, the first a started event
	// whose Config equals Config.
	Events []Event `json:"events"`
	// Ranking is every ranked architecture (empty before ranking).
	Ranking []RankRow `json:"ranking"`
	// Examples are thumbnails of the examples the run's data chart names
	// (the most and least sampled after its last epoch), which the events
	// give only as ids. Optional: a record without them (every record
	// published before they were added) replays with ids only.
	Examples *RecordExamples `json:"examples,omitempty"`
}

// RecordExamples are a run's example thumbnails, all of one shape.
type RecordExamples struct {
	C     int             `json:"c"` // channels: 1 (grayscale) or 3
	H     int             `json:"h"` // 1 to MaxRecordThumbSide
	W     int             `json:"w"`
	Items []RecordExample `json:"items"` // at most MaxRecordExamples, ids distinct
}

// RecordExample is one training example's picture.
type RecordExample struct {
	ID int `json:"id"` // its index in the training set (as in the epoch events' top and bottom)
	// Label is its class, an index into the started event's classes; -1
	// when unknown.
	Label int `json:"label"`
	// Pixels are its C*H*W bytes, channel-major, each 0 to 255 (base64 in
	// the JSON).
	Pixels []byte `json:"px"`
}

// RankRow is one ranked architecture, as the run API's export writes it.
type RankRow struct {
	Arch  string   `json:"arch"` // NB201 string
	Pred  float64  `json:"predicted_acc"`
	Truth *float64 `json:"truth_acc"` // null when the table lacks it
}

// Spaces are the search spaces a record may name.
var Spaces = []string{"nb201"}

// RecordError names what is wrong with a record: a field by its JSON path
// (e.g. "runs[1].events[0].started.config.epochs") or, for text that is
// not JSON of the right shape, the byte offset.
type RecordError struct {
	Field  string
	Offset int64 // -1 when the error has no position
	Msg    string
}

func (e *RecordError) Error() string {
	switch {
	case e.Field != "" && e.Offset >= 0:
		return fmt.Sprintf("record: %s (byte %d): %s", e.Field, e.Offset, e.Msg)
	case e.Field != "":
		return fmt.Sprintf("record: %s: %s", e.Field, e.Msg)
	case e.Offset >= 0:
		return fmt.Sprintf("record: byte %d: %s", e.Offset, e.Msg)
	}
	return "record: " + e.Msg
}

// VersionError is a record of a format this build does not read.
type VersionError struct{ Got int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("record: version %d is not supported; this build reads version %d", e.Got, RecordVersion)
}

// ErrRecordTooLarge is a record longer than MaxRecordBytes.
var ErrRecordTooLarge = fmt.Errorf("record: larger than %d bytes", MaxRecordBytes)

// ParseRecord reads one JSON record of at most MaxRecordBytes from r,
// rejecting unknown fields, and validates it. Errors are a *RecordError, a
// *VersionError or ErrRecordTooLarge (or r's own error).
func ParseRecord(r io.Reader) (Record, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxRecordBytes+1))
	if err != nil {
		return Record{}, err
	}
	return DecodeRecord(b)
}

// DecodeRecord is ParseRecord on bytes in memory.
func DecodeRecord(b []byte) (Record, error) {
	var rec Record
	if len(b) > MaxRecordBytes {
		return rec, ErrRecordTooLarge
	}
	// The version first, leniently: a record of another version is
	// refused as such, not for the fields it has that this one lacks.
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return rec, jsonError(err)
	}
	switch {
	case head.Version == nil:
		return rec, &RecordError{Field: "version", Offset: -1, Msg: fmt.Sprintf("missing (want %d)", RecordVersion)}
	case *head.Version != RecordVersion:
		return rec, &VersionError{Got: *head.Version}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		err = jsonError(err)
		if re, ok := err.(*RecordError); ok && re.Offset < 0 {
			// An unknown field's error has no position (nor the path to
			// it): where the decoder stopped is just past its name.
			re.Offset = dec.InputOffset()
		}
		return Record{}, err
	}
	if dec.More() {
		return Record{}, &RecordError{Offset: dec.InputOffset(), Msg: "trailing data after the JSON object"}
	}
	return rec, rec.Validate()
}

// jsonError turns a decoding error into a *RecordError with its offset.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var be base64.CorruptInputError
	switch {
	case errors.As(err, &be):
		// The only []byte fields of a record are its examples' pixels.
		return &RecordError{Field: "runs.examples.items.px", Offset: -1, Msg: "not base64: " + be.Error()}
	case errors.As(err, &se):
		return &RecordError{Offset: se.Offset, Msg: "JSON syntax error: " + se.Error()}
	case errors.As(err, &te):
		return &RecordError{Field: te.Field, Offset: te.Offset, Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
	case errors.Is(err, io.EOF):
		return &RecordError{Offset: 0, Msg: "empty: want a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &RecordError{Offset: -1, Msg: "the JSON ends early"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return &RecordError{Field: strings.Trim(f, `"`), Offset: -1, Msg: "unknown field"}
	}
	return &RecordError{Offset: -1, Msg: strings.TrimPrefix(msg, "json: ")}
}

// Validate reports the first thing out of bounds, naming its field.
func (r Record) Validate() error {
	if r.Version != RecordVersion {
		return &VersionError{Got: r.Version}
	}
	v := validator{}
	v.oneOf("space", r.Space, Spaces)
	v.str("code", r.Code, MaxRecordString)
	v.str("title", r.Title, MaxRecordText)
	v.str("settings", r.Settings, MaxRecordText)
	if v.err != nil {
		return v.err
	}
	if len(r.Runs) < 1 || len(r.Runs) > MaxRecordRuns {
		return v.fail("runs", "%d runs: want 1 to %d", len(r.Runs), MaxRecordRuns)
	}
	events := 0
	for i := range r.Runs {
		events += len(r.Runs[i].Events)
	}
	if events > MaxRecordEvents {
		return v.fail("runs", "%d events in all: at most %d", events, MaxRecordEvents)
	}
	for i := range r.Runs {
		if err := r.Runs[i].validate(fmt.Sprintf("runs[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (rr *RecordRun) validate(at string) error {
	v := validator{}
	v.str(at+".label", rr.Label, MaxRecordString)
	v.str(at+".kernels", rr.Kernels, MaxRecordString)
	if v.err != nil {
		return v.err
	}
	if err := rr.Config.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return v.fail(at+".config."+fe.Field, "%s", fe.Msg)
		}
		return v.fail(at+".config", "%v", err)
	}
	// Config strings are not bounded by Config.Validate (a local run may
	// name any path); a shared one must be.
	v.str(at+".config.preset", rr.Config.Preset, MaxRecordString)
	v.str(at+".config.data.dir", rr.Config.Data.Dir, MaxRecordString)
	v.str(at+".config.eval.truth", rr.Config.Eval.Truth, MaxRecordString)
	if len(rr.Config.Eval.List) > MaxRecordRanking {
		v.fail(at+".config.eval.list", "%d architectures: at most %d", len(rr.Config.Eval.List), MaxRecordRanking)
	}
	if v.err != nil {
		return v.err
	}
	if len(rr.Events) == 0 {
		return v.fail(at+".events", "empty: a run has at least its started event")
	}
	for i := range rr.Events {
		if err := v.event(fmt.Sprintf("%s.events[%d]", at, i), &rr.Events[i], i); err != nil {
			return err
		}
	}
	if !reflect.DeepEqual(rr.Events[0].Started.Config, rr.Config) {
		return v.fail(at+".events[0].started.config", "differs from %s.config", at)
	}
	if rr.Examples != nil {
		if err := v.examples(at+".examples", rr.Examples, rr.Events[0].Started); err != nil {
			return err
		}
	}
	if len(rr.Ranking) > MaxRecordRanking {
		return v.fail(at+".ranking", "%d rows: at most %d", len(rr.Ranking), MaxRecordRanking)
	}
	for i, row := range rr.Ranking {
		v.arch(fmt.Sprintf("%s.ranking[%d].arch", at, i), row.Arch)
		v.pct(fmt.Sprintf("%s.ranking[%d].predicted_acc", at, i), row.Pred)
		if row.Truth != nil {
			v.pct(fmt.Sprintf("%s.ranking[%d].truth_acc", at, i), *row.Truth)
		}
		if v.err != nil {
			return v.err
		}
	}
	return nil
}

// event checks one event: its type, that exactly the matching payload is
// set, and the bounds of its strings and lists.
func (v *validator) event(at string, e *Event, i int) error {
	set := 0
	for _, p := range []bool{e.Started != nil, e.Step != nil, e.Epoch != nil, e.Rank != nil, e.Done != nil, e.Error != ""} {
		if p {
			set++
		}
	}
	if !(e.Time >= 0) {
		return v.fail(at+".t", "%v is negative", e.Time)
	}
	if (i == 0) != (e.Type == TypeStarted) {
		return v.fail(at+".type", "%q: a run's events open with one started event", e.Type)
	}
	var ok bool
	switch e.Type {
	case TypeStarted:
		ok = e.Started != nil
		if ok {
			s := e.Started
			v.str(at+".started.backend", s.Backend, MaxRecordString)
			v.list(at+".started.classes", len(s.Classes))
			for j, c := range s.Classes {
				v.str(fmt.Sprintf("%s.started.classes[%d]", at, j), c, MaxRecordString)
			}
			if err := s.Config.Validate(); err != nil && v.err == nil {
				v.fail(at+".started.config", "%v", err)
			}
		}
	case TypeStep:
		ok = e.Step != nil
		if ok {
			v.arch(at+".step.arch", e.Step.Arch)
		}
	case TypeEpoch:
		ok = e.Epoch != nil
		if ok && e.Epoch.Data != nil {
			d := e.Epoch.Data
			v.list(at+".epoch.data.edges", len(d.Edges))
			v.list(at+".epoch.data.counts", len(d.Counts))
			v.list(at+".epoch.data.top", len(d.Top))
			v.list(at+".epoch.data.bottom", len(d.Bottom))
		}
	case TypeRank:
		ok = e.Rank != nil
		if ok {
			v.arch(at+".rank.arch", e.Rank.Arch)
		}
	case TypeDone:
		ok = e.Done != nil
	case TypeError:
		ok = e.Error != ""
		v.str(at+".error", e.Error, MaxRecordText)
	default:
		return v.fail(at+".type", "%q is not an event type", e.Type)
	}
	if !ok || set != 1 {
		return v.fail(at, "a %q event carries exactly its own %q field", e.Type, e.Type)
	}
	return v.err
}

// examples checks a run's thumbnails: their count, shape, pixel count
// and labels (the bytes are 0 to 255 by their type).
func (v *validator) examples(at string, x *RecordExamples, st *Started) error {
	switch {
	case x.C != 1 && x.C != 3:
		return v.fail(at+".c", "%d channels: want 1 or 3", x.C)
	case x.H < 1 || x.H > MaxRecordThumbSide:
		return v.fail(at+".h", "%d: want 1 to %d pixels", x.H, MaxRecordThumbSide)
	case x.W < 1 || x.W > MaxRecordThumbSide:
		return v.fail(at+".w", "%d: want 1 to %d pixels", x.W, MaxRecordThumbSide)
	case len(x.Items) > MaxRecordExamples:
		return v.fail(at+".items", "%d examples: at most %d", len(x.Items), MaxRecordExamples)
	}
	seen := make(map[int]bool, len(x.Items))
	for i, e := range x.Items {
		it := fmt.Sprintf("%s.items[%d]", at, i)
		switch {
		case e.ID < 0:
			return v.fail(it+".id", "%d is negative", e.ID)
		case seen[e.ID]:
			return v.fail(it+".id", "example %d appears twice", e.ID)
		case e.Label < -1 || e.Label >= len(st.Classes):
			return v.fail(it+".label", "%d: want -1 or a class index below %d", e.Label, len(st.Classes))
		case len(e.Pixels) != x.C*x.H*x.W:
			return v.fail(it+".px", "%d bytes: want c*h*w = %d", len(e.Pixels), x.C*x.H*x.W)
		}
		seen[e.ID] = true
	}
	return nil
}

// validator keeps the first error of a run of checks.
type validator struct{ err error }

func (v *validator) fail(field, format string, a ...any) error {
	if v.err == nil {
		v.err = &RecordError{Field: field, Offset: -1, Msg: fmt.Sprintf(format, a...)}
	}
	return v.err
}

func (v *validator) str(field, s string, limit int) {
	switch {
	case len(s) > limit:
		v.fail(field, "%d bytes: at most %d", len(s), limit)
	case !utf8.ValidString(s):
		v.fail(field, "not valid UTF-8")
	}
}

func (v *validator) list(field string, n int) {
	if n > MaxRecordList {
		v.fail(field, "%d entries: at most %d", n, MaxRecordList)
	}
}

func (v *validator) oneOf(field, s string, allowed []string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.fail(field, "%q is not one of %s", s, strings.Join(allowed, ", "))
}

func (v *validator) arch(field, s string) {
	if len(s) > MaxRecordString {
		v.fail(field, "%d bytes: at most %d", len(s), MaxRecordString)
		return
	}
	if _, err := space.Parse(s); err != nil {
		v.fail(field, "%v", err)
	}
}

func (v *validator) pct(field string, x float64) {
	if !(x >= -1 && x <= 100) {
		v.fail(field, "%v is outside [-1, 100]", x)
	}
}

// ShareIDLen is the length of a published record's id: 128 random bits
// in unpadded base64url.
const ShareIDLen = 22

// ValidShareID reports whether id has the form of a share id. The share
// API and the page both check it, so it lives with the record.
func ValidShareID(id string) bool {
	if len(id) != ShareIDLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	return err == nil && len(b) == 16
}

// CodeVersion names the running binary's code for a record's Code: the
// VCS revision it was built from ("+dirty" when the tree had changes),
// or "devel" when the build carries none (go run, go test).
func CodeVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return rev + dirty
}
