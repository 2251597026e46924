package sampler

import (
	"slices"
	"testing"

	"pada/core/run"
	"pada/core/space"
)

// TestNamesAreRunLists: the samplers NewPath and NewData make are exactly
// the names run.Config accepts (run.PathSamplers, run.PathModes,
// run.DataSamplers), the one list that validation, errors and help texts
// are written from.
func TestNamesAreRunLists(t *testing.T) {
	for _, name := range run.PathSamplers {
		for _, mode := range run.PathModes {
			if _, err := NewPath(space.NB201Cell, name, mode); err != nil {
				t.Errorf("NewPath(%q, %q): %v", name, mode, err)
			}
		}
	}
	for _, name := range run.DataSamplers {
		if _, err := NewData(name, 4); err != nil {
			t.Errorf("NewData(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "spos", "PA", "sandwich", "da"} {
		if slices.Contains(run.PathSamplers, name) {
			continue
		}
		if _, err := NewPath(space.NB201Cell, name, "reference"); err == nil {
			t.Errorf("NewPath(%q) is not refused", name)
		}
	}
	if _, err := NewPath(space.NB201Cell, "pa", "global"); err == nil {
		t.Error(`NewPath("pa", "global") is not refused`)
	}
	for _, name := range []string{"", "pa", "DA", "uniform "} {
		if _, err := NewData(name, 4); err == nil {
			t.Errorf("NewData(%q) is not refused", name)
		}
	}
}
