package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"pada/core/run"
)

// TestV1Fixtures reads what the version-1 code wrote (testdata/v1, made
// before Config v2 and spaces as values): its config migrates on read, its
// event stream reads, and this code reproduces the stream's numbers bit
// for bit from the config alone and from both snapshots (mid-epoch and
// while ranking).
//
// The fixtures were written natively: a backend with other kernels (the
// wasm ones) rounds differently, so there only the reading, the migration
// and the resumes are checked, not the bits.
func TestV1Fixtures(t *testing.T) {
	bits := runtime.GOOS != "js"
	for _, name := range []string{"pa-da", "fairnas"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "v1")
			b, err := os.ReadFile(filepath.Join(dir, name+"-config.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(`"version": 1`)) {
				t.Fatalf("%s-config.json is not a version 1 config", name)
			}
			cfg, err := run.ParseConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Version != run.Version || cfg.Space != "nb201" {
				t.Fatalf("migrated to version %d, space %q", cfg.Version, cfg.Space)
			}
			var want []run.Event
			f, err := os.Open(filepath.Join(dir, name+"-events.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var e run.Event
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatalf("event %d: %v", len(want)+1, err)
				}
				want = append(want, e)
			}
			if len(want) != 20 || want[0].Started == nil || want[0].Started.Config.Space != "nb201" {
				t.Fatalf("%d events; the first does not migrate its config", len(want))
			}
			fx := newFixture(t, cfg)
			var got []run.Event
			s := fx.session(t, fx.net(t, cfg.Shape), &got)
			for s.Advance() {
			}
			if bits && numbers(t, got) != numbers(t, want) {
				t.Errorf("the v1 config's run differs from the v1 stream:\n%s\nwant\n%s", numbers(t, got), numbers(t, want))
			}
			for _, snap := range []string{"step7", "rank"} {
				b, err := os.ReadFile(filepath.Join(dir, name+"-snapshot-"+snap+".bin"))
				if err != nil {
					t.Fatal(err)
				}
				var rest []run.Event
				s, err := fx.resume(b, fx.net(t, cfg.Shape), &rest)
				if err != nil {
					t.Fatalf("snapshot %s: %v", snap, err)
				}
				for s.Advance() {
				}
				if len(rest) == 0 || bits && numbers(t, rest) != numbers(t, want[len(want)-len(rest):]) {
					t.Errorf("resumed from the v1 snapshot %s: %d events that differ from the stream's tail", snap, len(rest))
				}
			}
		})
	}
}
