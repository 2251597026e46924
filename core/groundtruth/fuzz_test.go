package groundtruth

import (
	"bytes"
	"testing"
)

// FuzzReadAny feeds both table formats arbitrary bytes: a reader must
// return a table or an error, never panic, and a table it returns must
// index every row.
func FuzzReadAny(f *testing.F) {
	arch := "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
	var own bytes.Buffer
	WriteHeader(&own, Protocol{Preset: "mini", Seeds: []uint64{0, 1}})
	row := Row{Acc: 90, Seeds: []float64{89, 91}, Params: 10, FLOPs: 20, Seconds: 3}
	row.Arch, _ = parseArch(arch)
	own.Write(FormatRow(row, 2))
	for _, seed := range []string{
		"",
		"CIFAR10TestAccuracy200Epochs,ArchitectureString\n94.37," + arch + "\n",
		"CIFAR10TestAccuracy200Epochs,ArchitectureString,UniqueString\n94.37," + arch + ",x\n",
		own.String(),
		own.String()[:own.Len()-7], // truncated last row
		magic + "\n# protocol: {\"seeds\":[0]}\narch,key,acc_seed0,mean,params,flops,seconds\n",
		magic + "\n# protocol: {\"seeds\":[18446744073709551615]}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ReadAny(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, r := range tab.Rows {
			if _, ok := tab.Lookup(r.Arch); !ok {
				t.Fatalf("row %s is not indexed", r.Arch)
			}
		}
	})
}
