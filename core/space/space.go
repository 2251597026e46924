// Package space describes the cell search spaces PA&DA searches: a Space
// value owns a cell's candidate ops, its edges (a DAG of nodes), the
// architecture encoding, the string form, enumeration and the isomorphism
// key. Two spaces are registered (Lookup): NAS-Bench-201's cell, "nb201"
// (five operations on the six edges of a four-node cell, 5^6 = 15,625
// architectures, 6,466 distinct up to isomorphism), and "nb201-small", the
// same cell with three nodes (125 architectures).
//
// The package-level functions and Arch's methods are NB201's, kept for
// the code that only ever meant NB201; code that can meet another space
// takes a *Space.
package space

import (
	"fmt"
	"strconv"
)

// NumEdges is the number of edges in an NB201 cell.
const NumEdges = 6

// NumArchs is the number of architectures in NB201, NumOps^NumEdges.
const NumArchs = 15625

// Edge is a directed edge of the cell: node To sums op(From) over its
// incoming edges.
type Edge struct{ To, From int }

// Edges lists the NB201 cell's edges in NAS-Bench-201 order, the order of
// the tokens in an architecture string and of the ops in an Arch.
var Edges = [NumEdges]Edge{{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}}

// String returns the edge as "to<-from", e.g. "2<-1", which is also the
// key of the edge in the reference PyTorch model's ModuleDict.
func (e Edge) String() string {
	return strconv.Itoa(e.To) + "<-" + strconv.Itoa(e.From)
}

// Arch is one architecture: the operation on each edge of its space, in
// the space's edge order, the entries past the space's edges zero. All
// cells of a network share it. Arch is comparable, so it can key maps.
type Arch [MaxEdges]Op

// String formats a as an NB201 architecture, e.g.
// "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|".
// Use Space.Format for an architecture of another space.
func (a Arch) String() string { return NB201Cell.Format(a) }

// A SyntaxError reports why Parse rejected an architecture string and
// where.
type SyntaxError struct {
	Offset int    // byte offset of Token in the input
	Token  string // the offending text; empty at the end of the input
	Msg    string // what is wrong with it
}

func (e *SyntaxError) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("space: arch string: at byte %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("space: arch string: token %q at byte %d: %s", clip(e.Token), e.Offset, e.Msg)
}

// Parse parses an NB201 architecture in NAS-Bench-201 form (NB201Cell.Parse):
// for nodes 1, 2 and 3, the node's incoming edges as "|op~j" with j
// counting up from 0, each node closed by "|" and nodes joined by "+".
func Parse(s string) (Arch, error) { return NB201Cell.Parse(s) }

// Index returns a's position in [0, NumArchs) in NB201 (NB201Cell.Index). It
// is a dense numbering for tables and sampling and is NOT the row index
// of NAS-Bench-201 or NATS-Bench, which follows the benchmark's own
// order; join with the benchmark through Key or String instead.
func (a Arch) Index() int { return NB201Cell.Index(a) }

// FromIndex returns the NB201 architecture with the given Index.
func FromIndex(i int) (Arch, error) { return NB201Cell.FromIndex(i) }

// All returns all NumArchs NB201 architectures in Index order.
func All() []Arch { return NB201Cell.All() }

// Key returns a's NB201 isomorphism key (NB201Cell.Key), the benchmark's
// UniqueString.
func (a Arch) Key() string { return NB201Cell.Key(a) }

// UniqueArchs returns one NB201 architecture per isomorphism class
// (NB201Cell.Unique): 6,466 in all.
func UniqueArchs() []Arch { return NB201Cell.Unique() }
