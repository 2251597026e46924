// Package space describes the NAS-Bench-201 cell search space that PA&DA
// searches: five operations on the six edges of a four-node cell, giving
// 5^6 = 15,625 architectures, 6,466 of them distinct up to isomorphism.
//
// It converts architectures to and from NAS-Bench-201's string form,
// numbers them densely for tables and sampling, and computes the
// benchmark's isomorphism key so that results can be joined with the
// benchmark's table.
package space

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// NumEdges is the number of edges in a cell.
const NumEdges = 6

// NumArchs is the number of architectures in the space, NumOps^NumEdges.
const NumArchs = 15625

// Edge is a directed edge of the cell: node To sums op(From) over its
// incoming edges.
type Edge struct{ To, From int }

// Edges lists the cell's edges in NAS-Bench-201 order, the order of the
// tokens in an architecture string and of the ops in an Arch.
var Edges = [NumEdges]Edge{{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}}

// String returns the edge as "to<-from", e.g. "2<-1", which is also the
// key of the edge in the reference PyTorch model's ModuleDict.
func (e Edge) String() string {
	return strconv.Itoa(e.To) + "<-" + strconv.Itoa(e.From)
}

// Arch is one architecture: the operation on each edge, in Edges order.
// All cells of a network share it.
type Arch [NumEdges]Op

// String formats a in NAS-Bench-201 form, e.g.
// "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|".
func (a Arch) String() string {
	var b strings.Builder
	b.Grow(96)
	for e, edge := range Edges {
		if e > 0 && edge.From == 0 {
			b.WriteByte('+')
		}
		if edge.From == 0 {
			b.WriteByte('|')
		}
		b.WriteString(a[e].String())
		b.WriteByte('~')
		b.WriteString(strconv.Itoa(edge.From))
		b.WriteByte('|')
	}
	return b.String()
}

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

// Parse parses an architecture in NAS-Bench-201 form: for nodes 1, 2 and
// 3, the node's incoming edges as "|op~j" with j counting up from 0, each
// node closed by "|" and nodes joined by "+". It is strict: it accepts
// exactly what Arch.String produces, so that a typo in a table or a
// config is reported rather than guessed at. Errors are *SyntaxError.
func Parse(s string) (Arch, error) {
	var a Arch
	pos := 0
	fail := func(off int, tok, format string, args ...any) (Arch, error) {
		return Arch{}, &SyntaxError{Offset: off, Token: tok, Msg: fmt.Sprintf(format, args...)}
	}
	// rest returns the text from off up to the next delimiter, to name
	// the token an error is about.
	rest := func(off int) string {
		end := strings.IndexAny(s[off:], "|+")
		if end < 0 {
			return s[off:]
		}
		if end == 0 {
			return s[off : off+1]
		}
		return s[off : off+end]
	}
	e := 0
	for node := 1; node <= 3; node++ {
		if node > 1 {
			if pos >= len(s) {
				return fail(pos, "", "input ends after node %d; want \"+\" and node %d", node-1, node)
			}
			if s[pos] != '+' {
				return fail(pos, rest(pos), "node %d has more than %d inputs; want \"+\" before node %d", node-1, node-1, node)
			}
			pos++
		}
		if pos >= len(s) {
			return fail(pos, "", "input ends; want \"|\" to open node %d", node)
		}
		if s[pos] != '|' {
			return fail(pos, rest(pos), "want \"|\" to open node %d", node)
		}
		pos++
		for j := 0; j < node; j++ {
			if pos >= len(s) || s[pos] == '+' {
				return fail(pos, "", "node %d ends after %d of its %d inputs", node, j, node)
			}
			end := strings.IndexByte(s[pos:], '|')
			if end < 0 {
				return fail(pos, s[pos:], "missing \"|\" after the token")
			}
			tok := s[pos : pos+end]
			name, idx, ok := strings.Cut(tok, "~")
			if !ok {
				return fail(pos, tok, "want op~input, e.g. nor_conv_3x3~%d", j)
			}
			op, err := ParseOp(name)
			if err != nil {
				return fail(pos, tok, "unknown op %q", clip(name))
			}
			if idx != strconv.Itoa(j) {
				return fail(pos, tok, "input node %q, want %d (edge %s)", clip(idx), j, Edges[e])
			}
			a[e] = op
			e++
			pos += end + 1
		}
	}
	if pos != len(s) {
		return fail(pos, s[pos:], "unexpected text after node 3")
	}
	return a, nil
}

// Index returns a's position in [0, NumArchs): the base-NumOps number
// whose digits are the op indices, edge 0 the most significant. It is a
// dense numbering for tables and sampling and is NOT the row index of
// NAS-Bench-201 or NATS-Bench, which follows the benchmark's own order;
// join with the benchmark through Key or String instead. Index returns -1
// if a holds an Op outside [0, NumOps).
func (a Arch) Index() int {
	i := 0
	for _, op := range a {
		if op >= NumOps {
			return -1
		}
		i = i*NumOps + int(op)
	}
	return i
}

// FromIndex returns the architecture with the given Index.
func FromIndex(i int) (Arch, error) {
	if i < 0 || i >= NumArchs {
		return Arch{}, fmt.Errorf("space: arch index %d out of range [0, %d)", i, NumArchs)
	}
	var a Arch
	for e := NumEdges - 1; e >= 0; e-- {
		a[e] = Op(i % NumOps)
		i /= NumOps
	}
	return a, nil
}

// All returns all NumArchs architectures in Index order, so All()[i] has
// Index i. The slice is new on every call; the caller may modify it.
func All() []Arch {
	all := make([]Arch, NumArchs)
	for i := range all {
		all[i], _ = FromIndex(i) // i is in range
	}
	return all
}

// Key returns a's isomorphism key, NAS-Bench-201's notion of "the same
// network": architectures with equal keys compute the same function given
// matching weights, so the benchmark trains only one of them. It equals
// the benchmark's UniqueString (xautodl's
// Structure.to_unique_str(consider_zero=True)), so it joins with the
// benchmark's table.
//
// Each node gets an expression: node 0 is "0"; an edge contributes "#"
// if its op is none or its source is exactly "#", its source unchanged if
// its op is skip_connect, and "(source)@op" otherwise; a node is its
// edges' contributions sorted bytewise and joined with "+". The key is
// node 3's expression. Sorting makes the sum order-free; like the
// benchmark, a node that is a sum of several "#" is not reduced to "#".
func (a Arch) Key() string {
	var nodes [4]string
	nodes[0] = "0"
	var xs [3]string
	e := 0
	for i := 1; i <= 3; i++ {
		for j := 0; j < i; j++ {
			op, src := a[e], nodes[Edges[e].From]
			switch {
			case op == None || src == "#":
				xs[j] = "#"
			case op == Skip:
				xs[j] = src
			default:
				xs[j] = "(" + src + ")@" + op.String()
			}
			e++
		}
		in := xs[:i]
		slices.Sort(in) // Go string order is byte order, as Python's for ASCII
		nodes[i] = strings.Join(in, "+")
	}
	return nodes[3]
}

var unique = sync.OnceValue(func() []Arch {
	seen := make(map[string]bool, 6466)
	var reps []Arch
	for _, a := range All() {
		k := a.Key()
		if !seen[k] {
			seen[k] = true
			reps = append(reps, a)
		}
	}
	return reps
})

// UniqueArchs returns one architecture per isomorphism class (per Key),
// the one with the lowest Index, in Index order: 6,466 in all. Sampling
// uniformly from it samples uniformly over distinct networks rather than
// over spellings. The slice is new on every call.
func UniqueArchs() []Arch {
	return slices.Clone(unique())
}
