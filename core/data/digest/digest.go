// Package digest names a dataset by the SHA-256 of its contents, so that a
// table of results computed on a set (the ground truth, a worker's job)
// can be checked against the data it came from, whatever file format or
// compression carried the data.
//
// It is a package of its own, not a method of data.Set, because the
// browser's trainer links core/data but never hashes a set, and
// crypto/sha256 brings about 40 KB (brotli) of crypto/internal/fips140
// code into every binary that keeps it.
package digest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"pada/core/data"
)

// Of is the hex SHA-256 of the set's data: N, C, H, W and Classes as
// big-endian uint64s, then Pixels, then Labels. The name is not part of
// it.
func Of(s *data.Set) string {
	h := sha256.New()
	var dims [5 * 8]byte
	for i, d := range []int{s.N, s.C, s.H, s.W, s.Classes} {
		binary.BigEndian.PutUint64(dims[8*i:], uint64(d))
	}
	h.Write(dims[:])
	h.Write(s.Pixels)
	h.Write(s.Labels)
	return hex.EncodeToString(h.Sum(nil))
}
