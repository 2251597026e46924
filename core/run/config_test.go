package run

import (
	"bytes"
	"encoding/json"
	"errors"
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
		{"version", func(c *Config) { c.Version = 2 }},
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
