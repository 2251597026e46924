package space

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		name          string
		want          *Space
		nodes, edges  int
		archs, unique int
	}{
		{"", NB201Cell, 4, 6, 15625, 6466},
		{"nb201", NB201Cell, 4, 6, 15625, 6466},
		{"nb201-small", NB201SmallCell, 3, 3, 125, 0}, // classes: TestKeyAgainstGraphs
	} {
		s, err := Lookup(c.name)
		if err != nil || s != c.want {
			t.Fatalf("Lookup(%q) = %v, %v", c.name, s, err)
		}
		if s.Nodes() != c.nodes || s.NumEdges() != c.edges || s.NumArchs() != c.archs || s.NumOps() != 5 {
			t.Errorf("%s: nodes %d edges %d archs %d ops %d", s, s.Nodes(), s.NumEdges(), s.NumArchs(), s.NumOps())
		}
		if c.unique > 0 && s.NumUnique() != c.unique {
			t.Errorf("%s: %d classes, want %d", s, s.NumUnique(), c.unique)
		}
		if len(s.All()) != c.archs {
			t.Errorf("%s: len(All()) = %d", s, len(s.All()))
		}
	}
	if _, err := Lookup("darts"); err == nil || !strings.Contains(err.Error(), "nb201-small") {
		t.Errorf("Lookup(darts) error = %v, want one naming the spaces", err)
	}
	var names []string
	for _, o := range NB201SmallCell.ParamOps() {
		names = append(names, NB201SmallCell.OpName(o))
	}
	if got := strings.Join(names, ","); got != "nor_conv_1x1,nor_conv_3x3" {
		t.Errorf("ParamOps = %s", got)
	}
}

func TestSmallStrings(t *testing.T) {
	s := NB201SmallCell
	for _, a := range s.All() {
		str := s.Format(a)
		b, err := s.Parse(str)
		if err != nil || b != a {
			t.Fatalf("Parse(Format(%v)) = %v, %v", a, b, err)
		}
		if i := s.Index(a); i < 0 {
			t.Fatalf("Index(%v) = %d", a, i)
		}
		d, err := s.Decode(s.Encode(a))
		if err != nil || d != a {
			t.Fatalf("Decode(Encode(%v)) = %v, %v", a, d, err)
		}
		if a[3] != 0 || a[4] != 0 || a[5] != 0 {
			t.Fatalf("%v: entries past the edges are not zero", a)
		}
	}
	a, err := s.Parse("|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|")
	if err != nil || a != (Arch{Conv3x3, Skip, AvgPool3x3}) {
		t.Fatalf("Parse = %v, %v", a, err)
	}
	for _, c := range []struct{ in, token, msg string }{
		{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "+|none~0|none~1|none~2|", "unexpected text after node 2"},
		{"|none~0|+|none~0|", "", "node 2 ends after 1 of its 2 inputs"},
		{"|none~0|+|none~0|none~2|", "none~2", "want 1 (edge 2<-1)"},
		{"|conv~0|+|none~0|none~1|", "conv~0", "unknown op"},
	} {
		_, err := s.Parse(c.in)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Token != c.token || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Parse(%q) = %v; want token %q, ...%s...", c.in, err, c.token, c.msg)
		}
	}
	if _, err := s.Decode([]int{1, 2}); err == nil {
		t.Error("Decode of 2 ops succeeded on a 3-edge space")
	}
	if _, err := s.Decode([]int{1, 2, 5}); err == nil || !strings.Contains(err.Error(), "ops[2]") {
		t.Errorf("Decode op 5: %v", err)
	}
	if err := s.Check(Arch{0, 0, 0, 1}); err == nil {
		t.Error("Check accepted an op past the edges")
	}
	if s.Index(Arch{0, 0, 0, 1}) != -1 {
		t.Error("Index of an arch of another space")
	}
}

// TestNB201Unchanged: the space value gives NB201 exactly today's forms.
func TestNB201Unchanged(t *testing.T) {
	if got := NB201Cell.Edges(); len(got) != NumEdges || [NumEdges]Edge(got) != Edges {
		t.Errorf("edges %v", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		a, _ := FromIndex(r.IntN(NumArchs))
		if NB201Cell.Format(a) != a.String() || NB201Cell.Key(a) != a.Key() || NB201Cell.Index(a) != a.Index() {
			t.Fatalf("%v: space value and Arch methods disagree", a)
		}
	}
}

// field is arithmetic modulo the Mersenne prime 2^61-1, so that sums of
// values are exactly commutative and associative: two cells compute the
// same function exactly when their values agree.
const prime = 1<<61 - 1

func mulmod(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	// 2^64 = 8 (mod p) ... fold with the Mersenne identity 2^61 = 1.
	x := (lo & prime) + (lo >> 61) + (hi << 3)
	for x >= prime {
		x -= prime
	}
	return x
}

const dim = 3

type vec [dim]uint64

// evaluator computes a cell's output from a random input, with each op a
// fixed random map that sends 0 to 0 (as the network's convolution with
// batch statistics, the average pool and the zero op do): the same op on
// the same input gives the same value wherever it sits, which is what
// "the same network given matching weights" means.
type evaluator struct {
	x0 vec
	w  [MaxOps][dim][dim]uint64
}

func newEvaluator(seed uint64) *evaluator {
	r := rand.New(rand.NewPCG(seed, 7))
	ev := &evaluator{}
	for i := range ev.x0 {
		ev.x0[i] = r.Uint64N(prime)
	}
	for o := range ev.w {
		for i := range dim {
			for j := range dim {
				ev.w[o][i][j] = r.Uint64N(prime)
			}
		}
	}
	return ev
}

func (ev *evaluator) apply(o Op, v vec) vec {
	var out vec
	for i := range dim {
		var s uint64
		for j := range dim {
			s = (s + mulmod(ev.w[o][i][j], v[j])) % prime
		}
		out[i] = mulmod(mulmod(s, s), s) // cubed: not linear
	}
	return out
}

// output evaluates the cell of a in s by walking its graph.
func (ev *evaluator) output(s *Space, a Arch) vec {
	nodes := make([]vec, s.Nodes())
	nodes[0] = ev.x0
	for e, edge := range s.Edges() {
		src := nodes[edge.From]
		var c vec
		switch s.Op(a[e]).Kind {
		case Zero:
		case Identity:
			c = src
		default:
			c = ev.apply(a[e], src)
		}
		for i := range c {
			nodes[edge.To][i] = (nodes[edge.To][i] + c[i]) % prime
		}
	}
	return nodes[s.Nodes()-1]
}

// TestKeyAgainstGraphs checks the isomorphism key against the cells'
// functions, computed by walking each graph: archs with equal keys must
// compute the same function, and archs with different keys different
// ones, except where the key (NAS-Bench-201's) keeps apart "#+x" and x or
// two groupings of the same sum (NB201 only: on nb201-small the key and the
// function agree exactly). On nb201-small every pair is compared
// directly (125 x 125).
func TestKeyAgainstGraphs(t *testing.T) {
	ev := newEvaluator(1)
	t.Run("nb201-small", func(t *testing.T) {
		s := NB201SmallCell
		all := s.All()
		outs := make([]vec, len(all))
		keys := make([]string, len(all))
		for i, a := range all {
			outs[i], keys[i] = ev.output(s, a), s.Key(a)
		}
		for i := range all {
			for j := range all {
				if (keys[i] == keys[j]) != (outs[i] == outs[j]) {
					t.Errorf("%s (key %s) and %s (key %s): same key %v, same function %v",
						s.Format(all[i]), keys[i], s.Format(all[j]), keys[j], keys[i] == keys[j], outs[i] == outs[j])
				}
			}
		}
		if n := s.NumUnique(); n != countDistinct(outs) {
			t.Errorf("%d classes by key, %d distinct functions", n, countDistinct(outs))
		}
	})
	t.Run("nb201", func(t *testing.T) {
		s := NB201Cell
		byKey := map[string]vec{}
		byOut := map[vec]map[string]bool{}
		for _, a := range s.All() {
			k, o := s.Key(a), ev.output(s, a)
			if prev, ok := byKey[k]; ok && prev != o {
				t.Fatalf("%s: key %s shared by two different functions", s.Format(a), k)
			}
			byKey[k] = o
			if byOut[o] == nil {
				byOut[o] = map[string]bool{}
			}
			byOut[o][k] = true
		}
		// The NB201 key (NAS-Bench-201's UniqueString) is finer than the
		// function: it keeps "#+x" apart from x and does not flatten a
		// sum reached through a skip, so one function can have several
		// keys. Equal keys always mean equal functions (checked above).
		split := 0
		for _, ks := range byOut {
			split += len(ks) - 1
		}
		if len(byOut) != 4930 {
			t.Errorf("%d distinct functions, want 4930", len(byOut))
		}
		if len(byKey) != 6466 {
			t.Errorf("%d keys", len(byKey))
		}
		t.Logf("nb201: %d keys, %d functions (%d keys split a function)", len(byKey), len(byOut), split)
	})
}

func countDistinct(v []vec) int {
	m := map[vec]bool{}
	for _, x := range v {
		m[x] = true
	}
	return len(m)
}
