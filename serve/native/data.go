package native

import (
	"fmt"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/run"
	"pada/core/train"
	"pada/public"
)

// defaultFashionDir is where Debian's dataset-fashion-mnist puts the
// files: a location the server chooses, so API clients may use it.
const defaultFashionDir = "/usr/share/datasets/fashion-mnist"

// LoadData reads the data files of c through files (data.Load): the
// embedded default set, synthetic data, or the files under data.dir;
// fashion-mnist without data.dir reads defaultFashionDir, bounded. Only
// the native side reads files; the browser gets the embedded default.
func LoadData(c run.Config, files data.Opener) (trainSet, evalSet *data.Set, err error) {
	return train.LoadData(c, data.Source{Fashion16: public.Data, Files: files,
		FashionMNIST: HostFiles{Bounded: true}, FashionMNISTDir: defaultFashionDir})
}

// LoadTruth opens the ground-truth table a Config names ("" for none)
// through files.
func LoadTruth(c run.Config, files data.Opener) (*groundtruth.Table, error) {
	switch c.Eval.Truth {
	case "":
		return nil, nil
	case "default":
		name, err := groundtruth.DefaultFileFor(c.Space)
		if err != nil {
			return nil, fmt.Errorf("eval.truth: %w", err)
		}
		f, err := public.Data.Open("data/" + name)
		if err != nil {
			return nil, fmt.Errorf("eval.truth: the default ground-truth table of space %q is not built into this binary: %w", c.Space, err)
		}
		defer f.Close()
		return groundtruth.Read(f)
	}
	f, err := files.Open("eval.truth", c.Eval.Truth)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := groundtruth.ReadAny(lineCapped(f, maxLine))
	return t, files.ReadError("eval.truth", c.Eval.Truth, err)
}
