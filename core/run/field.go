package run

import "errors"

// AtField attributes Err to the Config field Field without changing its
// text: a caller that shows errors by field (the Worker, the page) learns
// where to point, and one that shows the text alone reads what it did
// before.
type AtField struct {
	Field string // JSON path, e.g. "eval.truth"
	Err   error
}

func (e *AtField) Error() string { return e.Err.Error() }

func (e *AtField) Unwrap() error { return e.Err }

// FieldOf names the Config field err is about: that of the outermost
// *AtField or *FieldError in its chain, or "" where there is none.
func FieldOf(err error) string {
	for err != nil {
		switch e := err.(type) {
		case *AtField:
			return e.Field
		case *FieldError:
			return e.Field
		}
		err = errors.Unwrap(err)
	}
	return ""
}
