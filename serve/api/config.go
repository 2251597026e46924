package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"pada/core/run"
)

// readConfig reads a run Config from a request body: a whole Config as
// run.ParseConfig reads it (unknown fields refused, then validated), or,
// when the body has a "preset" and no "version", that preset with the
// body's fields laid over it. Errors name the byte offset of bad JSON and
// the field of a bad value.
func readConfig(r *http.Request) (run.Config, *apiError) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return run.Config{}, &apiError{Code: http.StatusRequestEntityTooLarge,
				Msg: fmt.Sprintf("request body over %d bytes", mb.Limit)}
		}
		return run.Config{}, &apiError{Code: http.StatusBadRequest, Msg: "reading the body: " + err.Error()}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return run.Config{}, &apiError{Code: http.StatusBadRequest, Msg: `config: the body is empty; want a Config or {"preset": "mini", ...}`}
	}
	// json.Unmarshal checks the whole body's syntax (trailing data
	// included) before the strict decode below.
	var head struct {
		Version *int   `json:"version"`
		Preset  string `json:"preset"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return run.Config{}, jsonError(err)
	}
	var c run.Config
	if head.Version == nil && head.Preset != "" {
		if c, err = run.Preset(head.Preset); err != nil {
			return c, &apiError{Code: http.StatusBadRequest, Msg: err.Error(), Field: "preset"}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, jsonError(err)
	}
	if err := c.Validate(); err != nil {
		e := &apiError{Code: http.StatusBadRequest, Msg: err.Error()}
		var fe *run.FieldError
		if errors.As(err, &fe) {
			e.Field = fe.Field
		}
		return c, e
	}
	return c, nil
}

// jsonError turns a decoding error into a 400 that names where.
func jsonError(err error) *apiError {
	e := &apiError{Code: http.StatusBadRequest, Msg: "config: " + err.Error()}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		e.Offset = &se.Offset
		e.Msg = fmt.Sprintf("config: JSON syntax error at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		e.Offset, e.Field = &te.Offset, te.Field
		e.Msg = fmt.Sprintf("config: field %q at byte %d: want %s, got %s", te.Field, te.Offset, te.Type, te.Value)
	default:
		// encoding/json names an unknown field only in its message.
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			e.Field = strings.Trim(f, `"`)
			e.Msg = fmt.Sprintf("config: unknown field %s", f)
		}
	}
	return e
}
