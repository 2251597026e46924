package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pada/core/run"
)

// tinyConfig writes a quick synthetic-data config and returns its path.
func tinyConfig(t *testing.T) string {
	t.Helper()
	c, _ := run.Preset("mini")
	c.Shape.H, c.Shape.W, c.Shape.C, c.Shape.Batch = 8, 8, 4, 16
	c.Data = run.Data{Name: "synthetic", Train: 200, ValFrac: 0.2}
	c.Epochs = 2
	c.Eval = run.Eval{Split: "eval", Archs: "sample:4", Images: 64}
	b, _ := json.Marshal(c)
	p := filepath.Join(t.TempDir(), "tiny.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExportVerifyRoundTrip(t *testing.T) {
	cfg := tinyConfig(t)
	out := filepath.Join(t.TempDir(), "w.npz")
	if err := exportCmd([]string{"-config", cfg, "-seed", "3", "-out", out, "-threads", "1"}); err != nil {
		t.Fatal(err)
	}
	if err := verifyCmd([]string{"-config", cfg, "-in", out}); err != nil {
		t.Fatal(err)
	}
	// The mini preset's own shape cannot read it.
	if err := verifyCmd([]string{"-preset", "mini", "-in", out}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("verify with another shape: %v", err)
	}
}

func TestTrainWritesResults(t *testing.T) {
	cfg := tinyConfig(t)
	dir := t.TempDir()
	if err := trainCmd([]string{"-config", cfg, "-out", dir, "-path", "pa", "-data", "da", "-q", "-threads", "1"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "events.jsonl", "ranking.csv", "weights.npz"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	f, _ := os.Open(filepath.Join(dir, "events.jsonl"))
	defer f.Close()
	var types []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e run.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("event line %q: %v", sc.Text(), err)
		}
		types = append(types, e.Type)
	}
	if types[0] != "started" || types[len(types)-1] != "done" {
		t.Fatalf("events %v", types)
	}
	// The saved weights rank again from the command line.
	if err := rankCmd([]string{"-config", cfg, "-weights", filepath.Join(dir, "weights.npz"), "-out", filepath.Join(dir, "r.csv")}); err != nil {
		t.Fatal(err)
	}
	// And a run can start from them.
	if err := trainCmd([]string{"-config", cfg, "-init", filepath.Join(dir, "weights.npz"), "-epochs", "1", "-q", "-out", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
}

func TestCommandErrors(t *testing.T) {
	cfg := tinyConfig(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"version": 1, "sampler": {"path": "darts"}}`), 0o644)
	damaged := filepath.Join(t.TempDir(), "runs.db")
	os.WriteFile(damaged, bytes.Repeat([]byte{0xa5}, 64<<10), 0o600)
	for _, c := range []struct {
		name string
		run  func([]string) error
		args []string
		want string
	}{
		{"bad arch", exportCmd, []string{"-config", cfg, "-arch", "|conv~0|", "-out", "x.npz"}, "-arch"},
		{"no out", exportCmd, []string{"-config", cfg}, "-out"},
		{"both config and preset", exportCmd, []string{"-config", cfg, "-preset", "mini", "-out", "x"}, "not both"},
		{"unknown preset", trainCmd, []string{"-preset", "huge"}, "preset"},
		{"bad field", trainCmd, []string{"-config", bad}, "shape"},
		{"bad sampler override", trainCmd, []string{"-config", cfg, "-path", "darts"}, "sampler.path"},
		{"missing weights", rankCmd, []string{"-config", cfg, "-weights", "/nonexistent.npz"}, "nonexistent"},
		{"corrupt weights", verifyCmd, []string{"-config", cfg, "-in", cfg}, "npz"},
		{"store without check", storeCmd, []string{"-store", damaged}, "usage: serve store check"},
		{"damaged store", storeCmd, []string{"check", "-store", damaged}, "-store-fresh"},
	} {
		err := c.run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
