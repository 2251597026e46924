package sampler

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"pada/core/space"
)

// use drives a path and a data sampler through some epochs of draws and
// observations, so that their state is far from the initial one.
func use(p Path, d Data, r *rand.Rand, epochs int) {
	var paths []space.Arch
	var order []int
	norm := func(e int, op space.Op) float64 { return float64(e+1) * float64(op+1) * (1 + r.Float64()) }
	for ep := range epochs {
		order = d.Epoch(r, order)
		for k, i := range order {
			d.Observe(i, r.Float64())
			if k%4 == 0 {
				paths = p.Sample(r, paths)
				p.Observe(paths, norm)
			}
		}
		p.EndEpoch(ep, epochs+1)
		d.EndEpoch(ep, epochs+1)
	}
	// Part of an epoch more: running scores open.
	order = d.Epoch(r, order)
	for _, i := range order[:len(order)/2] {
		d.Observe(i, r.Float64())
	}
	paths = p.Sample(r, paths)
	p.Observe(paths, norm)
}

func TestStateRoundTrip(t *testing.T) {
	const n = 50
	for _, path := range []struct{ name, mode string }{{"uniform", ""}, {"fairnas", ""}, {"pa", "reference"}, {"pa", "per-edge"}} {
		for _, sp := range spaces {
			for _, data := range []string{"uniform", "da"} {
				for _, epochs := range []int{0, 2} {
					p, _ := NewPath(sp, path.name, path.mode)
					d, _ := NewData(data, n)
					r := rand.New(rand.NewPCG(7, 8))
					use(p, d, r, epochs)
					ps, err := p.(State).MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					ds, err := d.(State).MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					p2, _ := NewPath(sp, path.name, path.mode)
					d2, _ := NewData(data, n)
					if err := p2.(State).UnmarshalBinary(ps); err != nil {
						t.Fatalf("%s/%s: %v", path.name, path.mode, err)
					}
					if err := d2.(State).UnmarshalBinary(ds); err != nil {
						t.Fatalf("%s: %v", data, err)
					}
					if !reflect.DeepEqual(p, p2) || !reflect.DeepEqual(d, d2) {
						t.Fatalf("%s/%s, %s after %d epochs: the restored samplers differ", path.name, path.mode, data, epochs)
					}
				}
			}
		}
	}
}

// A cumulative distribution that is neither untouched nor the running sum
// of q (no sampler method makes one) still round-trips.
func TestDAStateRawCum(t *testing.T) {
	d := NewDA(4)
	copy(d.cum, []float64{0.1, 0.2, 0.9, 1})
	b, _ := d.MarshalBinary()
	d2 := NewDA(4)
	if err := d2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, d2) {
		t.Fatalf("restored %+v, want %+v", d2, d)
	}
}

func TestStateRefuses(t *testing.T) {
	pa, _ := (NewPA(nil, false)).MarshalBinary()
	da, _ := NewDA(10).MarshalBinary()
	sh, _ := (&Shuffle{n: 10}).MarshalBinary()
	fx, _ := Fixed{Arch: space.Arch{1, 2, 3, 4, 0, 1}}.MarshalBinary()
	cases := []struct {
		name  string
		into  State
		state []byte
		want  string
	}{
		{"other kind", &FairNAS{}, pa, `"pa/1", want "fairnas/1"`},
		{"other PA mode", NewPA(nil, true), pa, "reference mode, the sampler in per-edge mode"},
		{"other DA size", NewDA(11), da, "10 examples, the sampler has 11"},
		{"other shuffle size", &Shuffle{n: 9}, sh, "10 examples, the sampler has 9"},
		{"other fixed arch", Fixed{}, fx, "another architecture"},
		{"trailing bytes", NewDA(10), append(da, 0), "trailing"},
		{"bad boolean", NewPA(nil, false), append(append([]byte(nil), pa[:5]...), append([]byte{7}, pa[6:]...)...), "boolean 7"},
	}
	for _, c := range cases {
		if err := c.into.UnmarshalBinary(c.state); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error containing %q", c.name, err, c.want)
		}
	}
	// Every truncation is an error that names a byte offset, not a panic,
	// and leaves the sampler as it was.
	d := NewDA(10)
	d.Observe(3, 0.5)
	used, _ := d.MarshalBinary()
	for _, st := range [][]byte{pa, da, used} {
		for k := range st {
			var into State = NewPA(nil, false)
			if st[1] == 'd' {
				into = NewDA(10)
			}
			before, _ := into.MarshalBinary()
			err := into.UnmarshalBinary(st[:k])
			if err == nil || !strings.Contains(err.Error(), "byte") {
				t.Fatalf("state cut to %d of %d bytes: %v", k, len(st), err)
			}
			if after, _ := into.MarshalBinary(); string(after) != string(before) {
				t.Fatalf("state cut to %d bytes: a failed UnmarshalBinary changed the sampler", k)
			}
		}
	}
}
