package space

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Capacity of an Arch. Every registered space has at most MaxEdges edges
// and MaxOps candidate ops; an Arch of a smaller space uses its first
// NumEdges entries and leaves the rest zero. The capacity is a property of
// this build's in-memory type only: the protocol (Config, events,
// snapshots, tables) writes architectures as a space name plus a
// variable-length list of op indices or the space's string form, so a
// larger space raises these constants without another protocol change.
const (
	MaxEdges = 6
	MaxOps   = 5
)

// OpKind is what an operation computes, so that the supernet and the
// samplers can ask a space about its ops instead of naming op indices.
type OpKind uint8

// The kinds of candidate operations.
const (
	Zero     OpKind = iota // the edge is absent: contributes nothing
	Identity               // skip connection
	ConvOp                 // ReLU, KxK convolution with bias, BatchNorm without affine
	AvgPool                // 3x3 average pool, stride 1, padding not counted
)

// OpSpec is one candidate operation of a space.
type OpSpec struct {
	Name   string // the name in architecture strings
	Kind   OpKind
	Kernel int // convolution kernel size (ConvOp only)
}

// HasParams reports whether the op has trainable weights.
func (o OpSpec) HasParams() bool { return o.Kind == ConvOp }

// Space is a cell search space: a DAG of nodes (node 0 the cell's input,
// the last node its output; a node sums its incoming edges), one choice of
// candidate op per edge. It owns everything that depends on the space:
// the ops and which are parameter-free, the edges, the string form,
// enumeration and the isomorphism key. A Space is immutable and shared;
// compare spaces by pointer or by Name.
type Space struct {
	name   string
	ops    []OpSpec
	edges  []Edge
	nodes  int
	narchs int
	in     [][]int // in[node]: the indices of the edges into node, in edge order
	unique func() []Arch
}

// NewSpace checks and builds a space. Edges must be grouped by their
// target node in increasing order, each From below its To, every node
// 1..nodes-1 with at least one input; there must be at most MaxEdges edges
// and MaxOps ops with distinct names.
func NewSpace(name string, ops []OpSpec, nodes int, edges []Edge) (*Space, error) {
	if len(ops) < 1 || len(ops) > MaxOps {
		return nil, fmt.Errorf("space %q: %d ops, want 1 to %d", name, len(ops), MaxOps)
	}
	if len(edges) < 1 || len(edges) > MaxEdges {
		return nil, fmt.Errorf("space %q: %d edges, want 1 to %d", name, len(edges), MaxEdges)
	}
	for i, o := range ops {
		if o.Name == "" || strings.ContainsAny(o.Name, "|+~") {
			return nil, fmt.Errorf("space %q: op %d has name %q (empty or with |, + or ~)", name, i, o.Name)
		}
		for j := range i {
			if ops[j].Name == o.Name {
				return nil, fmt.Errorf("space %q: ops %d and %d are both %q", name, j, i, o.Name)
			}
		}
		if (o.Kind == ConvOp) != (o.Kernel > 0) || o.Kind > AvgPool {
			return nil, fmt.Errorf("space %q: op %q: kind %d with kernel %d", name, o.Name, o.Kind, o.Kernel)
		}
	}
	s := &Space{name: name, ops: slices.Clone(ops), edges: slices.Clone(edges), nodes: nodes, in: make([][]int, max(nodes, 0))}
	for i, e := range edges {
		if e.To < 1 || e.To >= nodes || e.From < 0 || e.From >= e.To {
			return nil, fmt.Errorf("space %q: edge %d (%s) outside nodes 0..%d or not forward", name, i, e, nodes-1)
		}
		if i > 0 && (e.To < edges[i-1].To || e.To == edges[i-1].To && e.From <= edges[i-1].From) {
			return nil, fmt.Errorf("space %q: edge %d (%s) out of order", name, i, e)
		}
		s.in[e.To] = append(s.in[e.To], i)
	}
	for n := 1; n < nodes; n++ {
		if len(s.in[n]) == 0 {
			return nil, fmt.Errorf("space %q: node %d has no input", name, n)
		}
	}
	s.narchs = 1
	for range edges {
		s.narchs *= len(ops)
	}
	s.unique = sync.OnceValue(s.findUnique)
	return s, nil
}

func mustSpace(name string, ops []OpSpec, nodes int, edges []Edge) *Space {
	s, err := NewSpace(name, ops, nodes, edges)
	if err != nil {
		panic(err)
	}
	return s
}

// nb201Ops are NAS-Bench-201's five operations, in their index order (the
// values of None ... AvgPool3x3).
var nb201Ops = []OpSpec{
	{Name: "none", Kind: Zero},
	{Name: "skip_connect", Kind: Identity},
	{Name: "nor_conv_1x1", Kind: ConvOp, Kernel: 1},
	{Name: "nor_conv_3x3", Kind: ConvOp, Kernel: 3},
	{Name: "avg_pool_3x3", Kind: AvgPool},
}

// The registered spaces.
var (
	// NB201Cell is NAS-Bench-201's cell: 4 nodes, 6 edges, 15,625
	// architectures (6,466 isomorphism classes).
	NB201Cell = mustSpace("nb201", nb201Ops, 4, []Edge{{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}})
	// NB201SmallCell is the same cell with 3 nodes: edges 1<-0, 2<-0, 2<-1,
	// the same 5 ops, 125 architectures.
	NB201SmallCell = mustSpace("nb201-small", nb201Ops, 3, []Edge{{1, 0}, {2, 0}, {2, 1}})
)

var registry = []*Space{NB201Cell, NB201SmallCell}

// Names lists the registered spaces, the default first.
func Names() []string {
	out := make([]string, len(registry))
	for i, s := range registry {
		out[i] = s.name
	}
	return out
}

// Lookup returns the registered space with the given name; "" is the
// default, nb201 (what every v1 Config and table means).
func Lookup(name string) (*Space, error) {
	if name == "" {
		return NB201Cell, nil
	}
	for _, s := range registry {
		if s.name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("space: unknown search space %q (want one of %s)", clip(name), strings.Join(Names(), ", "))
}

// Name is the space's registry name, e.g. "nb201".
func (s *Space) Name() string { return s.name }

// String implements fmt.Stringer.
func (s *Space) String() string { return s.name }

// NumOps is the number of candidate ops per edge.
func (s *Space) NumOps() int { return len(s.ops) }

// NumEdges is the number of edges in the cell, the length of an
// architecture's encoding.
func (s *Space) NumEdges() int { return len(s.edges) }

// Nodes is the number of nodes in the cell: node 0 is the input, node
// Nodes()-1 the output.
func (s *Space) Nodes() int { return s.nodes }

// NumArchs is the number of architectures, NumOps^NumEdges.
func (s *Space) NumArchs() int { return s.narchs }

// Edges lists the cell's edges in encoding order. The slice is a copy.
func (s *Space) Edges() []Edge { return slices.Clone(s.edges) }

// Edge returns edge e.
func (s *Space) Edge(e int) Edge { return s.edges[e] }

// Ops lists the candidate ops in index order. The slice is a copy.
func (s *Space) Ops() []OpSpec { return slices.Clone(s.ops) }

// Op returns the spec of op o; o must be below NumOps.
func (s *Space) Op(o Op) OpSpec { return s.ops[o] }

// OpName returns the name of op o, or "Op(n)" outside the space.
func (s *Space) OpName(o Op) string {
	if int(o) < len(s.ops) {
		return s.ops[o].Name
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// ParseOp returns the op with the given name.
func (s *Space) ParseOp(name string) (Op, error) {
	for i, o := range s.ops {
		if o.Name == name {
			return Op(i), nil
		}
	}
	names := make([]string, len(s.ops))
	for i, o := range s.ops {
		names[i] = o.Name
	}
	return 0, fmt.Errorf("space: unknown op %q (want %s)", clip(name), strings.Join(names, ", "))
}

// HasParams reports whether op o has trainable weights.
func (s *Space) HasParams(o Op) bool { return int(o) < len(s.ops) && s.ops[o].HasParams() }

// ParamOps lists the ops with trainable weights, in index order.
func (s *Space) ParamOps() []Op {
	var out []Op
	for i, o := range s.ops {
		if o.HasParams() {
			out = append(out, Op(i))
		}
	}
	return out
}

// Check reports an architecture that is not of this space: an op outside
// the space on one of its edges, or a non-zero entry past its edges.
func (s *Space) Check(a Arch) error {
	for e, op := range a {
		if e >= len(s.edges) {
			if op != 0 {
				return fmt.Errorf("space %s: arch has op %d at position %d, past its %d edges", s.name, op, e, len(s.edges))
			}
			continue
		}
		if int(op) >= len(s.ops) {
			return fmt.Errorf("space %s: edge %d (%s) has op %d, want below %d", s.name, e, s.edges[e], op, len(s.ops))
		}
	}
	return nil
}

// Encode returns a's op indices, one per edge: the variable-length form
// events and files carry.
func (s *Space) Encode(a Arch) []int {
	out := make([]int, len(s.edges))
	for e := range out {
		out[e] = int(a[e])
	}
	return out
}

// Decode is the inverse of Encode; it names the entry that is wrong.
func (s *Space) Decode(ops []int) (Arch, error) {
	var a Arch
	if len(ops) != len(s.edges) {
		return a, fmt.Errorf("space %s: %d ops, want one per edge (%d)", s.name, len(ops), len(s.edges))
	}
	for e, o := range ops {
		if o < 0 || o >= len(s.ops) {
			return Arch{}, fmt.Errorf("space %s: ops[%d] = %d, want 0 to %d", s.name, e, o, len(s.ops)-1)
		}
		a[e] = Op(o)
	}
	return a, nil
}

// Format writes a in the space's string form: for each node from 1 on, its
// incoming edges as "|op~from" closed by "|", nodes joined by "+". For
// NB201 this is the benchmark's own form, e.g.
// "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|".
func (s *Space) Format(a Arch) string {
	var b strings.Builder
	b.Grow(16 * len(s.edges))
	for n := 1; n < s.nodes; n++ {
		if n > 1 {
			b.WriteByte('+')
		}
		b.WriteByte('|')
		for _, e := range s.in[n] {
			b.WriteString(s.OpName(a[e]))
			b.WriteByte('~')
			b.WriteString(strconv.Itoa(s.edges[e].From))
			b.WriteByte('|')
		}
	}
	return b.String()
}

// Parse parses the string form Format writes. It is strict: it accepts
// exactly what Format produces, so that a typo in a table or a config is
// reported rather than guessed at. Errors are *SyntaxError.
func (s *Space) Parse(str string) (Arch, error) {
	var a Arch
	pos := 0
	fail := func(off int, tok, format string, args ...any) (Arch, error) {
		return Arch{}, &SyntaxError{Offset: off, Token: tok, Msg: fmt.Sprintf(format, args...)}
	}
	// rest returns the text from off up to the next delimiter, to name
	// the token an error is about.
	rest := func(off int) string {
		end := strings.IndexAny(str[off:], "|+")
		if end < 0 {
			return str[off:]
		}
		if end == 0 {
			return str[off : off+1]
		}
		return str[off : off+end]
	}
	last := s.nodes - 1
	for node := 1; node <= last; node++ {
		in := s.in[node]
		if node > 1 {
			if pos >= len(str) {
				return fail(pos, "", "input ends after node %d; want \"+\" and node %d", node-1, node)
			}
			if str[pos] != '+' {
				return fail(pos, rest(pos), "node %d has more than %d inputs; want \"+\" before node %d", node-1, len(s.in[node-1]), node)
			}
			pos++
		}
		if pos >= len(str) {
			return fail(pos, "", "input ends; want \"|\" to open node %d", node)
		}
		if str[pos] != '|' {
			return fail(pos, rest(pos), "want \"|\" to open node %d", node)
		}
		pos++
		for j, e := range in {
			from := s.edges[e].From
			if pos >= len(str) || str[pos] == '+' {
				return fail(pos, "", "node %d ends after %d of its %d inputs", node, j, len(in))
			}
			end := strings.IndexByte(str[pos:], '|')
			if end < 0 {
				return fail(pos, str[pos:], "missing \"|\" after the token")
			}
			tok := str[pos : pos+end]
			name, idx, ok := strings.Cut(tok, "~")
			if !ok {
				return fail(pos, tok, "want op~input, e.g. %s~%d", s.ops[len(s.ops)-1].Name, from)
			}
			op, err := s.ParseOp(name)
			if err != nil {
				return fail(pos, tok, "unknown op %q", clip(name))
			}
			if idx != strconv.Itoa(from) {
				return fail(pos, tok, "input node %q, want %d (edge %s)", clip(idx), from, s.edges[e])
			}
			a[e] = op
			pos += end + 1
		}
	}
	if pos != len(str) {
		return fail(pos, str[pos:], "unexpected text after node %d", last)
	}
	return a, nil
}

// Index returns a's position in [0, NumArchs): the base-NumOps number
// whose digits are the op indices, edge 0 the most significant; -1 if a is
// not of the space (Check).
func (s *Space) Index(a Arch) int {
	if s.Check(a) != nil {
		return -1
	}
	i := 0
	k := len(s.ops)
	for e := range s.edges {
		i = i*k + int(a[e])
	}
	return i
}

// FromIndex returns the architecture with the given Index.
func (s *Space) FromIndex(i int) (Arch, error) {
	if i < 0 || i >= s.narchs {
		return Arch{}, fmt.Errorf("space %s: arch index %d out of range [0, %d)", s.name, i, s.narchs)
	}
	var a Arch
	k := len(s.ops)
	for e := len(s.edges) - 1; e >= 0; e-- {
		a[e] = Op(i % k)
		i /= k
	}
	return a, nil
}

// All returns every architecture in Index order. The slice is new on
// every call.
func (s *Space) All() []Arch {
	all := make([]Arch, s.narchs)
	for i := range all {
		all[i], _ = s.FromIndex(i) // i is in range
	}
	return all
}

// Key returns a's isomorphism key: architectures with equal keys compute
// the same function given matching weights, so a ground-truth table trains
// only one of them. For NB201 it equals the benchmark's UniqueString
// (xautodl's Structure.to_unique_str(consider_zero=True)), so it joins
// with the benchmark's table.
//
// Each node gets an expression: node 0 is "0"; an edge contributes "#"
// if its op is a Zero or its source is exactly "#", its source unchanged
// if its op is an Identity, and "(source)@op" otherwise; a node is its
// edges' contributions sorted bytewise and joined with "+". The key is
// the output node's expression. Sorting makes the sum order-free; like
// the benchmark, a node that is a sum of several "#" is not reduced to
// "#".
func (s *Space) Key(a Arch) string {
	nodes := make([]string, s.nodes)
	nodes[0] = "0"
	xs := make([]string, 0, len(s.edges))
	for n := 1; n < s.nodes; n++ {
		xs = xs[:0]
		for _, e := range s.in[n] {
			op, src := a[e], nodes[s.edges[e].From]
			switch {
			case src == "#":
				xs = append(xs, "#")
			case int(op) >= len(s.ops):
				xs = append(xs, "("+src+")@"+s.OpName(op))
			case s.ops[op].Kind == Zero:
				xs = append(xs, "#")
			case s.ops[op].Kind == Identity:
				xs = append(xs, src)
			default:
				xs = append(xs, "("+src+")@"+s.ops[op].Name)
			}
		}
		slices.Sort(xs) // Go string order is byte order, as Python's for ASCII
		nodes[n] = strings.Join(xs, "+")
	}
	return nodes[s.nodes-1]
}

func (s *Space) findUnique() []Arch {
	seen := make(map[string]bool)
	var reps []Arch
	for _, a := range s.All() {
		k := s.Key(a)
		if !seen[k] {
			seen[k] = true
			reps = append(reps, a)
		}
	}
	return reps
}

// Unique returns one architecture per isomorphism class (per Key), the one
// with the lowest Index, in Index order. Sampling uniformly from it
// samples uniformly over distinct networks rather than over spellings. The
// slice is new on every call.
func (s *Space) Unique() []Arch { return slices.Clone(s.unique()) }

// NumUnique is the number of isomorphism classes, len(Unique()).
func (s *Space) NumUnique() int { return len(s.unique()) }
