package run

import (
	"strconv"
	"strings"
)

// ParseSample reads K of an eval.archs "sample:K" (K architectures drawn
// with the run seed): ok is false for any other value, and for a K that
// is not a whole number of at least 1 written plainly ("sample:05" and
// "sample:+5" are not). It is the one reading of the form, for the
// Config's validation, the trainer, the page's estimates and the
// ground-truth builder's -archs.
func ParseSample(archs string) (k int, ok bool) {
	s, found := strings.CutPrefix(archs, "sample:")
	if !found {
		return 0, false
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 1 || strconv.Itoa(k) != s {
		return 0, false
	}
	return k, true
}
