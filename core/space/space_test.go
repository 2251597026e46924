package space

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// nb201Path is where CI lays the shared data: shared/ beside the repository.
const nb201Path = "../../../shared/data/nasbench201/nats_bench_tss.csv"

// best is a well-formed architecture string with every op kind but avg_pool.
const best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"

func TestOp(t *testing.T) {
	for _, c := range []struct {
		op     Op
		name   string
		params bool
	}{
		{None, "none", false},
		{Skip, "skip_connect", false},
		{Conv1x1, "nor_conv_1x1", true},
		{Conv3x3, "nor_conv_3x3", true},
		{AvgPool3x3, "avg_pool_3x3", false},
	} {
		if got := c.op.String(); got != c.name {
			t.Errorf("Op(%d).String() = %q, want %q", c.op, got, c.name)
		}
		if got := c.op.HasParams(); got != c.params {
			t.Errorf("%v.HasParams() = %v, want %v", c.op, got, c.params)
		}
		got, err := ParseOp(c.name)
		if err != nil || got != c.op {
			t.Errorf("ParseOp(%q) = %v, %v, want %v", c.name, got, err, c.op)
		}
	}
	if got := Op(7).String(); got != "Op(7)" {
		t.Errorf("Op(7).String() = %q", got)
	}
	for _, bad := range []string{"", "None", " none", "conv_3x3", "skip_connect "} {
		if _, err := ParseOp(bad); err == nil || !strings.Contains(err.Error(), "unknown op") {
			t.Errorf("ParseOp(%q) error = %v, want unknown op", bad, err)
		}
	}
}

func TestEdges(t *testing.T) {
	want := []string{"1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2"}
	for e, edge := range Edges {
		if got := edge.String(); got != want[e] {
			t.Errorf("Edges[%d] = %q, want %q", e, got, want[e])
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Arch
	}{
		{best, Arch{Conv3x3, Conv3x3, Conv3x3, Skip, Conv3x3, Conv3x3}},
		{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", Arch{}},
		{"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
			Arch{AvgPool3x3, Conv1x1, Skip, Conv1x1, Skip, Skip}},
	} {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %v, want %v", c.in, got, c.want)
		}
		if s := got.String(); s != c.in {
			t.Errorf("String() = %q, want %q", s, c.in)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		offset int
		token  string
		msg    string
	}{
		{"empty", "", 0, "", "open node 1"},
		{"no bars", "none~0", 0, "none~0", "open node 1"},
		{"truncated", "|none~0|+|none~0|", 17, "", "node 2 ends after 1 of its 2 inputs"},
		{"missing final bar", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2", 40, "none~2", "missing \"|\""},
		{"unknown op", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", 1, "conv~0", `unknown op "conv"`},
		{"bad index", "|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", 17, "none~2", "want 1 (edge 2<-1)"},
		{"padded index", "|none~00|+|none~0|none~1|+|none~0|none~1|none~2|", 1, "none~00", "want 0"},
		{"no tilde", "|none|+|none~0|none~1|+|none~0|none~1|none~2|", 1, "none", "want op~input"},
		{"too few in node 2", "|none~0|+|none~0|+|none~0|none~1|none~2|", 17, "", "node 2 ends after 1 of its 2 inputs"},
		{"too many in node 1", "|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", 8, "none~1", "node 1 has more than 1 inputs"},
		{"too few nodes", "|none~0|+|none~0|none~1|", 24, "", "input ends after node 2"},
		{"extra node", best + "+|none~0|", 95, "+|none~0|", "unexpected text"},
		{"trailing space", best + " ", 95, " ", "unexpected text"},
		{"leading space", " " + best, 0, " ", "open node 1"},
		{"double plus", "|none~0|++|none~0|none~1|+|none~0|none~1|none~2|", 9, "+", "open node 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", c.in, err)
			}
			if se.Offset != c.offset || se.Token != c.token || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("Parse(%q) = %q at %d: %q; want %q at %d: ...%q...", c.in, se.Token, se.Offset, se.Msg, c.token, c.offset, c.msg)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	for _, c := range []struct {
		a Arch
		i int
	}{
		{Arch{}, 0},
		{Arch{0, 0, 0, 0, 0, Skip}, 1},
		{Arch{Skip, 0, 0, 0, 0, 0}, 3125},
		{Arch{4, 4, 4, 4, 4, 4}, NumArchs - 1},
		{Arch{Conv3x3, Conv3x3, Conv3x3, Skip, Conv3x3, Conv3x3}, 3*3125 + 3*625 + 3*125 + 1*25 + 3*5 + 3},
		{Arch{0, 0, 0, 0, 0, 5}, -1},
	} {
		if got := c.a.Index(); got != c.i {
			t.Errorf("%v.Index() = %d, want %d", c.a, got, c.i)
		}
		if c.i < 0 {
			continue
		}
		if got, err := FromIndex(c.i); err != nil || got != c.a {
			t.Errorf("FromIndex(%d) = %v, %v, want %v", c.i, got, err, c.a)
		}
	}
	for _, i := range []int{-1, NumArchs, 1 << 40} {
		if _, err := FromIndex(i); err == nil {
			t.Errorf("FromIndex(%d) succeeded", i)
		}
	}
	all := All()
	if len(all) != NumArchs {
		t.Fatalf("len(All()) = %d", len(all))
	}
	for i, a := range all {
		if a.Index() != i {
			t.Fatalf("All()[%d].Index() = %d", i, a.Index())
		}
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct{ in, key string }{
		// Worked examples from the NAS-Bench-201 table.
		{"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
			"(0)@avg_pool_3x3+(0)@avg_pool_3x3+(0)@nor_conv_1x1+(0)@nor_conv_1x1"},
		{"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
			"((0)@nor_conv_3x3)@avg_pool_3x3+(0)@nor_conv_3x3+((0)@nor_conv_3x3)@nor_conv_3x3+0"},
		// Everything none: node 3 is a sum of three zeros.
		{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "#+#+#"},
		// Node 2 is "#+#", which is not "#", so it propagates through a conv.
		{"|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_1x1~2|", "#+#+(#+#)@nor_conv_1x1"},
	} {
		a, err := Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Key(); got != c.key {
			t.Errorf("Key(%s) = %q, want %q", c.in, got, c.key)
		}
	}
}

// TestNB201 checks Parse, String and Key against every row of the
// benchmark's table.
func TestNB201(t *testing.T) {
	f, err := os.Open(nb201Path)
	if err != nil {
		t.Skipf("NAS-Bench-201 table not available (%v); CI lays shared/ beside the repository", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	ia, ok1 := col["ArchitectureString"]
	ik, ok2 := col["UniqueString"]
	if !ok1 || !ok2 {
		t.Fatalf("header %v lacks ArchitectureString or UniqueString", head)
	}
	keys := map[string]bool{}
	seen := map[Arch]bool{}
	rows := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		line, _ := r.FieldPos(0)
		a, err := Parse(rec[ia])
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		if s := a.String(); s != rec[ia] {
			t.Errorf("line %d: String() = %q, want %q", line, s, rec[ia])
		}
		if k := a.Key(); k != rec[ik] {
			t.Errorf("line %d: %s: Key() = %q, want %q", line, rec[ia], k, rec[ik])
		}
		if seen[a] {
			t.Errorf("line %d: %s appears twice", line, rec[ia])
		}
		seen[a] = true
		keys[rec[ik]] = true
		rows++
	}
	if rows != NumArchs {
		t.Errorf("%d rows, want %d", rows, NumArchs)
	}
	if len(keys) != 6466 {
		t.Errorf("%d distinct keys, want 6466", len(keys))
	}
	for _, a := range UniqueArchs() {
		if !keys[a.Key()] {
			t.Errorf("UniqueArchs has %s with key %q, not in the table", a, a.Key())
		}
	}
}

func TestUniqueArchs(t *testing.T) {
	u := UniqueArchs()
	if len(u) != 6466 {
		t.Fatalf("len(UniqueArchs()) = %d, want 6466", len(u))
	}
	first := map[string]int{}
	for _, a := range All() {
		if _, ok := first[a.Key()]; !ok {
			first[a.Key()] = a.Index()
		}
	}
	prev := -1
	for _, a := range u {
		i := a.Index()
		if i <= prev {
			t.Fatalf("UniqueArchs not in Index order at %v", a)
		}
		prev = i
		if first[a.Key()] != i {
			t.Errorf("%v is not the lowest-Index member of its class (%d)", a, first[a.Key()])
		}
	}
	// The result is the caller's to modify.
	u[0] = Arch{4, 4, 4, 4, 4, 4}
	if UniqueArchs()[0] != (Arch{}) {
		t.Error("modifying the result of UniqueArchs changed the next result")
	}
}
