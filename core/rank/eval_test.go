package rank

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pada/core/data"
	"pada/core/nn"
	"pada/core/space"
	"pada/core/supernet"
)

// noise is a seeded set of n random images of shape s, with labels.
func noise(n int, s space.Shape, seed uint64) *data.Normalized {
	r := rand.New(rand.NewPCG(seed, 1))
	set := &data.Set{N: n, C: s.InC, H: s.H, W: s.W, Classes: s.Classes,
		Pixels: make([]uint8, n*s.InC*s.H*s.W), Labels: make([]uint8, n)}
	for i := range set.Pixels {
		set.Pixels[i] = uint8(r.IntN(256))
	}
	for i := range set.Labels {
		set.Labels[i] = uint8(r.IntN(s.Classes))
	}
	mean, std := data.Stats(set)
	return data.Normalize(set, mean, std)
}

func newNet(t testing.TB, s space.Shape) *supernet.Net {
	be := nn.NewCPU(1)
	t.Cleanup(be.Close)
	net, err := supernet.New(s, be)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(7)
	return net
}

// plainAccuracy is the evaluation without the Evaluator's shortcuts: the
// whole architecture, each batch read afresh. The Evaluator must agree
// with it exactly.
func plainAccuracy(net *supernet.Net, images data.Images, count int, a space.Arch) float64 {
	s := net.Shape()
	x := make([]float32, s.Batch*s.InC*s.H*s.W)
	y := make([]int32, s.Batch)
	hit := 0
	for lo := 0; lo < count; lo += s.Batch {
		n := min(s.Batch, count-lo)
		var idx []int
		for i := lo; i < lo+n; i++ {
			idx = append(idx, i)
		}
		images.Batch(x, y, idx, false, nil)
		net.Forward(x, n, a)
		_, c := net.Loss(y, nil)
		hit += c
	}
	return 100 * float64(hit) / float64(count)
}

func mustParse(t *testing.T, s string) space.Arch {
	t.Helper()
	a, err := space.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLive(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Nothing dead.
		{"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|",
			"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|"},
		// Node 2 feeds nothing: its two inputs go.
		{"|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|",
			"|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"},
		// Node 1 feeds only node 2, which feeds nothing: both go.
		{"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|none~1|none~2|",
			"|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"},
		// The output reads nothing: everything goes.
		{"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|none~1|none~2|",
			"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"},
		// Node 1 feeds node 2, which is live: all stays.
		{"|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|",
			"|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|"},
	} {
		if got := Live(space.NB201Cell, mustParse(t, c.in)); got != mustParse(t, c.want) {
			t.Errorf("Live(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestLiveLogitsBitIdentical runs every architecture that Live changes,
// on a sample, both ways: the logits must be the same bits.
func TestLiveLogitsBitIdentical(t *testing.T) {
	s := space.Mini
	s.Batch = 8
	net := newNet(t, s)
	images := noise(s.Batch, s, 5)
	x := make([]float32, s.Batch*s.InC*s.H*s.W)
	y := make([]int32, s.Batch)
	images.Batch(x, y, []int{0, 1, 2, 3, 4, 5, 6, 7}, false, nil)
	changed := 0
	for i, a := range space.All() {
		l := Live(space.NB201Cell, a)
		if l == a {
			continue
		}
		changed++
		if i%29 != 0 {
			continue // a spread sample of them, to keep the test short
		}
		want := slices.Clone(net.Forward(x, s.Batch, a))
		got := net.Forward(x, s.Batch, l)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%s: logit %d is %v pruned, %v whole", a, j, got[j], want[j])
			}
		}
	}
	t.Logf("Live changes %d of %d architectures", changed, space.NumArchs)
	if changed == 0 {
		t.Fatal("Live changed nothing")
	}
}

func TestAccuracyMatchesPlain(t *testing.T) {
	net := newNet(t, space.Mini)
	images := noise(150, space.Mini, 3)
	archs := space.UniqueArchs()[:8]
	archs = append(archs, mustParse(t, "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"))
	for _, count := range []int{150, 1} {
		cached := NewEvaluator(net, images, count)
		uncached := NewEvaluator(net, images, count)
		uncached.xs, uncached.ys = nil, nil // as for a split too big to keep
		if cached.xs == nil {
			t.Fatal("150 images of 16x16 were not cached")
		}
		for _, a := range archs {
			want := plainAccuracy(net, images, count, a)
			if got := cached.Accuracy(a); got != want {
				t.Errorf("%d images, %s: cached %v, plain %v", count, a, got, want)
			}
			if got := uncached.Accuracy(a); got != want {
				t.Errorf("%d images, %s: uncached %v, plain %v", count, a, got, want)
			}
		}
	}
}

// BenchmarkAccuracy compares the Evaluator with the plain evaluation on
// the default race's shape and 1,000 images, over the same architectures.
func BenchmarkAccuracy(b *testing.B) {
	net := newNet(b, space.Mini)
	images := noise(1000, space.Mini, 3)
	archs := space.UniqueArchs()[:50]
	b.Run("plain", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			plainAccuracy(net, images, 1000, archs[i%len(archs)])
		}
	})
	b.Run("evaluator", func(b *testing.B) {
		ev := NewEvaluator(net, images, 1000)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ev.Accuracy(archs[i%len(archs)])
		}
	})
}
