package train

import (
	"os"
	"testing"

	"pada/core/groundtruth"
)

func shipped(t *testing.T) *groundtruth.Table {
	t.Helper()
	f, err := os.Open("../../public/data/" + groundtruth.DefaultFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb, err := groundtruth.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestStratified(t *testing.T) {
	tb := shipped(t)
	lo, hi := 1e9, -1e9
	for _, r := range tb.Unique() {
		lo, hi = min(lo, r.Acc), max(hi, r.Acc)
	}
	for _, k := range []int{1, 2, 7, 30, tb.Classes(), tb.Classes() + 5} {
		got := Stratified(tb, k)
		if want := min(k, tb.Classes()); len(got) != want {
			t.Fatalf("k=%d: %d architectures, want %d", k, len(got), want)
		}
		keys := map[string]bool{}
		prev := -1.0
		for i, a := range got {
			r, ok := tb.Lookup(a)
			if !ok {
				t.Fatalf("k=%d: %s is not in the table", k, a)
			}
			if keys[r.Key] {
				t.Fatalf("k=%d: two architectures of class %s", k, r.Key)
			}
			keys[r.Key] = true
			if r.Acc < prev {
				t.Fatalf("k=%d: accuracies not ascending at %d: %v after %v", k, i, r.Acc, prev)
			}
			prev = r.Acc
		}
		if k >= 2 {
			first, _ := tb.Lookup(got[0])
			last, _ := tb.Lookup(got[len(got)-1])
			if first.Acc != lo || last.Acc != hi {
				t.Errorf("k=%d: spans %v..%v, the table %v..%v", k, first.Acc, last.Acc, lo, hi)
			}
		}
	}
	if Stratified(nil, 5) != nil || Stratified(tb, 0) != nil {
		t.Error("a nil table or k=0 gave architectures")
	}
}
