package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestPresetsAreValid(t *testing.T) {
	for _, name := range []string{"mini", "nb201"} {
		c, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	if _, err := Preset("huge"); err == nil || !strings.Contains(err.Error(), "mini, nb201") {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	c, _ := Preset("nb201")
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip changed the config:\n%s\n%s", b, b2)
	}
}

// TestValidateNamesTheField edits one field of the mini preset at a time.
func TestValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"version", func(c *Config) { c.Version = 3 }},
		{"space", func(c *Config) { c.Space = "darts" }},
		{"eval.list[0]", func(c *Config) {
			c.Space, c.Eval.Archs = "nb201-small", "list"
			c.Eval.List = []string{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"} // an NB201 string
		}},
		{"shape", func(c *Config) { c.Shape.H = 6 }},
		{"data.name", func(c *Config) { c.Data.Name = "imagenet" }},
		{"data.val_frac", func(c *Config) { c.Data.ValFrac = 1 }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"lr", func(c *Config) { c.LR = -1 }},
		{"momentum", func(c *Config) { c.Momentum = 1 }},
		{"weight_decay", func(c *Config) { c.WeightDecay = 2 }},
		{"clip", func(c *Config) { c.Clip = -5 }},
		{"sampler.path", func(c *Config) { c.Sampler.Path = "darts" }},
		{"sampler.path_mode", func(c *Config) { c.Sampler.PathMode = "edge" }},
		{"sampler.data", func(c *Config) { c.Sampler.Data = "hard" }},
		{"eval.split", func(c *Config) { c.Eval.Split = "test" }},
		{"eval.archs", func(c *Config) { c.Eval.Archs = "sample:0" }},
		{"eval.list", func(c *Config) { c.Eval.Archs = "list" }},
		{"eval.list[0]", func(c *Config) { c.Eval.Archs, c.Eval.List = "list", []string{"|conv~0|"} }},
		{"eval.truth", func(c *Config) { c.Eval.Archs, c.Eval.Truth = "truth", "" }},
		{"events.step_every", func(c *Config) { c.Events.StepEvery = 0 }},
	} {
		cfg, _ := Preset("mini")
		c.edit(&cfg)
		err := cfg.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("editing %s: error %v, want a FieldError for %q", c.field, err, c.field)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"version": 1, "bogus": 3}`, `unknown field "bogus"`},
		{`{"version": "one"}`, `field "version"`},
		{`{"version": 1,`, "unexpected EOF"},
		{`{"version": 1} {}`, "trailing data"},
		{`{"version": 1}`, "shape"},
	} {
		_, err := ParseConfig(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.in, err, c.want)
		}
	}
}

// TestValidateCaps: each size field beyond its cap, negative, or at an
// overflowing value is refused with that field named; nothing panics.
func TestValidateCaps(t *testing.T) {
	huge := strings.Repeat("x", MaxPathLen+1)
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"shape.cells", func(c *Config) { c.Shape.N = 100000 }},
		{"shape.classes", func(c *Config) { c.Shape.Classes = 1e9 }},
		{"shape.classes", func(c *Config) { c.Shape.Classes = 257 }},
		{"shape.in_channels", func(c *Config) { c.Shape.InC = 1 << 40 }},
		{"shape.in_channels", func(c *Config) { c.Shape.InC = -1 }},
		{"shape.height", func(c *Config) { c.Shape.H = 1 << 62 }},
		{"shape.width", func(c *Config) { c.Shape.W = -1 << 63 }},
		{"shape.channels", func(c *Config) { c.Shape.C = 1<<63 - 1 }},
		{"shape.batch", func(c *Config) { c.Shape.Batch = 1 << 20 }},
		{"data.train", func(c *Config) { c.Data.Name, c.Data.Train = "synthetic", 1<<63-1 }},
		{"data.train", func(c *Config) { c.Data.Train = -5 }},
		{"epochs", func(c *Config) { c.Epochs = 1 << 40 }},
		{"eval.images", func(c *Config) { c.Eval.Images = 1 << 50 }},
		{"eval.list", func(c *Config) { c.Eval.Archs, c.Eval.List = "list", make([]string, MaxArchs+1) }},
		{"events.step_every", func(c *Config) { c.Events.StepEvery = 1 << 40 }},
		{"data.dir", func(c *Config) { c.Data.Dir = huge }},
		{"eval.truth", func(c *Config) { c.Eval.Truth = huge }},
		{"eval.truth", func(c *Config) { c.Eval.Truth = "a\x00b" }},
		{"preset", func(c *Config) { c.Preset = huge }},
		{"eval.archs", func(c *Config) { c.Eval.Archs = "sample:" + huge }},
		// Within every cap, but too big together.
		{"shape.channels", func(c *Config) { c.Shape.C, c.Shape.N = MaxChannels, MaxCells }},
		{"shape", func(c *Config) { c.Shape.H, c.Shape.W, c.Shape.Batch, c.Shape.C = 512, 512, 4096, 64 }},
		{"data.train", func(c *Config) {
			c.Data.Name, c.Data.Train, c.Shape.H, c.Shape.W, c.Shape.InC = "synthetic", MaxImages, 128, 128, 3
		}},
		{"events.step_every", func(c *Config) { c.Epochs, c.Events.StepEvery = MaxEpochs, 1 }},
	} {
		cfg, _ := Preset("mini")
		c.edit(&cfg)
		err := cfg.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("want a FieldError for %q, got %v", c.field, err)
		}
	}
}

// TestCheckBudget: the error gives the estimate against the limit.
func TestCheckBudget(t *testing.T) {
	c, _ := Preset("nb201")
	r := c.Estimate()
	if err := c.CheckBudget(r.Total); err != nil {
		t.Fatalf("at its own estimate: %v", err)
	}
	err := c.CheckBudget(r.Total / 2)
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, FormatBytes(r.Total)) || !strings.Contains(fe.Msg, FormatBytes(r.Total/2)) {
		t.Fatalf("over budget: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1536, "1.5 KiB"}, {3 << 30, "3.0 GiB"}, {math.MaxInt64, "8192.0 PiB"}} {
		if got := FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// TestConfigV1Migrates: a version-1 Config (no space field) reads as
// version 2 in NB201, through ParseConfig and through plain json.Unmarshal
// (as the store, events and snapshots decode it); a v2 Config round-trips
// whole.
func TestConfigV1Migrates(t *testing.T) {
	want, _ := Preset("mini")
	v1, _ := json.Marshal(want)
	v1 = bytes.Replace(v1, []byte(`"version":2,`), []byte(`"version":1,`), 1)
	v1 = bytes.Replace(v1, []byte(`"space":"nb201",`), nil, 1)
	if bytes.Contains(v1, []byte("space")) || !bytes.Contains(v1, []byte(`"version":1`)) {
		t.Fatalf("not a v1 config: %s", v1)
	}
	got, err := ParseConfig(bytes.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("v1 read as %+v, want %+v", got, want)
	}
	var ev Event
	if err := json.Unmarshal([]byte(`{"type":"started","started":{"config":`+string(v1)+`}}`), &ev); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ev.Started.Config, want) {
		t.Errorf("v1 config in an event read as %+v", ev.Started.Config)
	}
	small := want
	small.Space = "nb201-small"
	b, _ := json.Marshal(small)
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, small) {
		t.Errorf("v2 round trip: %+v, %v", back, err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"version":1,"space":"nb201-small"}`, "version 1 config, which has no space field"},
		{`{"version":2,"space":"darts"}`, `unknown search space "darts"`},
		{`{"version":2,"spaces":"nb201"}`, `unknown field "spaces"`},
	} {
		_, err := ParseConfig(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseConfig(%s) = %v, want ...%s...", c.in, err, c.want)
		}
	}
}
