package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// committed is the module core/gemm embeds.
const committed = "../../simd.wasm"

// TestCommittedModuleIsCurrent fails when simd.wasm was not regenerated
// after a change to the generator (run go generate ./core/gemm).
func TestCommittedModuleIsCurrent(t *testing.T) {
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	want := Module()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s (%d bytes) differs from what the generator writes (%d bytes): run go generate ./core/gemm", committed, len(got), len(want))
	}
	if !bytes.Equal(Module(), want) {
		t.Fatal("Module is not deterministic")
	}
}

// TestModuleValidates runs wabt's validator over the module where it is
// installed; the tests under node (GOOS=js) instantiate and run it anyway.
func TestModuleValidates(t *testing.T) {
	tool, err := exec.LookPath("wasm-validate")
	if err != nil {
		t.Skip("wasm-validate (Debian package wabt) is not installed; the GOOS=js tests of core/gemm validate the module in node")
	}
	f := filepath.Join(t.TempDir(), "simd.wasm")
	if err := os.WriteFile(f, Module(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, f).CombinedOutput(); err != nil {
		t.Fatalf("wasm-validate: %v\n%s", err, out)
	}
}

func TestUleb(t *testing.T) {
	for _, c := range []struct {
		v    uint64
		want []byte
	}{{0, []byte{0}}, {127, []byte{0x7F}}, {128, []byte{0x80, 1}}, {624485, []byte{0xE5, 0x8E, 0x26}}} {
		var b bytes.Buffer
		uleb(&b, c.v)
		if !bytes.Equal(b.Bytes(), c.want) {
			t.Errorf("uleb(%d) = %x, want %x", c.v, b.Bytes(), c.want)
		}
	}
}

func TestSleb(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want []byte
	}{{0, []byte{0}}, {63, []byte{0x3F}}, {64, []byte{0xC0, 0}}, {-1, []byte{0x7F}}, {-64, []byte{0x40}}, {-65, []byte{0xBF, 0x7F}}, {-123456, []byte{0xC0, 0xBB, 0x78}}} {
		var b bytes.Buffer
		sleb(&b, c.v)
		if !bytes.Equal(b.Bytes(), c.want) {
			t.Errorf("sleb(%d) = %x, want %x", c.v, b.Bytes(), c.want)
		}
	}
}
