package groundtruth

import (
	"math"
	"os"
	"strings"
	"testing"

	"pada/core/space"
)

var parseArch = space.Parse

const nb201Path = "../../../shared/data/nasbench201/nats_bench_tss.csv"

func TestReadNB201(t *testing.T) {
	f, err := os.Open(nb201Path)
	if err != nil {
		t.Skipf("NAS-Bench-201 table not available (%v); CI lays shared/ beside the repository", err)
	}
	defer f.Close()
	tab, err := ReadNB201(f, ColCIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 15625 {
		t.Fatalf("%d rows, want 15625", len(tab.Rows))
	}
	best := 0
	for i, r := range tab.Rows {
		if r.Acc > tab.Rows[best].Acc {
			best = i
		}
	}
	if best != 6111 || tab.Rows[best].Acc < 94.3733 || tab.Rows[best].Acc > 94.3734 {
		t.Errorf("best row %d with %.4f, want 6111 with 94.3733", best, tab.Rows[best].Acc)
	}
	// The data README names the last op nor_conv_3x3; the table itself, and
	// NAS-Bench-201, have nor_conv_1x1 there.
	if got := tab.Rows[6111].Arch.String(); got != "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|" {
		t.Errorf("row 6111 is %s", got)
	}
	if tab.Classes() != 6466 {
		t.Errorf("%d isomorphism classes, want 6466", tab.Classes())
	}
	// An isomorphic spelling finds its class's row.
	r, ok := tab.Lookup(tab.Rows[6111].Arch)
	if !ok || r.Index != tab.byKey[tab.Rows[6111].Key] {
		t.Errorf("Lookup of row 6111 failed")
	}
}

func TestReadNB201Errors(t *testing.T) {
	arch := "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"no arch column", "A,B\n1,2\n", `no "ArchitectureString" column`},
		{"no acc column", "ArchitectureString\n" + arch + "\n", `no "CIFAR10TestAccuracy200Epochs" column`},
		{"header only", "CIFAR10TestAccuracy200Epochs,ArchitectureString\n", "no rows"},
		{"bad arch", "CIFAR10TestAccuracy200Epochs,ArchitectureString\n90,|bogus~0|\n", "line 2"},
		{"bad acc", "CIFAR10TestAccuracy200Epochs,ArchitectureString\nninety," + arch + "\n", `"ninety" is not an accuracy`},
		{"acc out of range", "CIFAR10TestAccuracy200Epochs,ArchitectureString\n101," + arch + "\n", "not an accuracy"},
		{"lying key", "CIFAR10TestAccuracy200Epochs,ArchitectureString,UniqueString\n90," + arch + ",0\n", "does not match"},
		{"short row", "CIFAR10TestAccuracy200Epochs,ArchitectureString\n90\n", "wrong number of fields"},
	} {
		_, err := ReadNB201(strings.NewReader(c.in), ColCIFAR10)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestOwnFormatRoundTrip(t *testing.T) {
	var b strings.Builder
	p := Protocol{Preset: "mini", Data: "fashion16", DataHash: "abc", Epochs: 3, Seeds: []uint64{0, 1}, Code: "test"}
	if err := WriteHeader(&b, p); err != nil {
		t.Fatal(err)
	}
	rows := []Row{
		{Acc: 80, Seeds: []float64{79, 81}, Params: 100, FLOPs: 2000, Seconds: 1.5},
		{Acc: 70, Seeds: []float64{70, math.NaN()}, Params: 50, FLOPs: 1000, Seconds: 0.5},
	}
	rows[0].Arch, _ = parseArch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
	rows[1].Arch, _ = parseArch("|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
	for _, r := range rows {
		b.Write(FormatRow(r, 2))
	}
	tab, err := ReadAny(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || tab.Protocol == nil || tab.Protocol.DataHash != "abc" {
		t.Fatalf("read back %d rows, protocol %+v", len(tab.Rows), tab.Protocol)
	}
	if r := tab.Rows[1]; r.Acc != 70 || !math.IsNaN(r.Seeds[1]) || r.Params != 50 {
		t.Fatalf("row 1 read back as %+v", r)
	}
}

func TestOwnFormatErrors(t *testing.T) {
	var h strings.Builder
	WriteHeader(&h, Protocol{Seeds: []uint64{0}})
	arch := "|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"
	a, _ := parseArch(arch)
	key := a.Key()
	for _, c := range []struct{ name, in, want string }{
		{"foreign", "hello\n", "not a table in the project's format"},
		{"no protocol", magic + "\nx\n", "protocol"},
		{"bad header", magic + "\n# protocol: {\"seeds\":[0,1]}\narch,key,acc_seed0,mean,params,flops,seconds\n", "header"},
		{"bad key", h.String() + arch + ",nope,70,70,1,1,1\n", "column key"},
		{"bad mean", h.String() + arch + "," + key + ",70,75,1,1,1\n", "not the mean"},
		{"bad acc", h.String() + arch + "," + key + ",170,170,1,1,1\n", "not an accuracy"},
		{"no seeds", h.String() + arch + "," + key + ",,70,1,1,1\n", "no seed"},
		{"duplicate class", h.String() + arch + "," + key + ",70,70,1,1,1\n" + arch + "," + key + ",70,70,1,1,1\n", "isomorphic"},
	} {
		_, err := Read(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
