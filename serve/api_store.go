package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"pada/core/run"
	"pada/serve/store"
)

// storeCmd is `serve store check [-store FILE]`: it reads every page and
// record of the run store and says what it holds, or what is wrong and
// what to do.
func storeCmd(args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: serve store check [-store FILE]")
	}
	fs := flag.NewFlagSet("store check", flag.ContinueOnError)
	path := fs.String("store", "", "run store file (default: pada/runs.db in the user config folder)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *path == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return fmt.Errorf("no -store given and %w", err)
		}
		*path = filepath.Join(d, "pada", "runs.db")
	}
	st, runs, err := store.Check(*path)
	switch {
	case errors.Is(err, store.ErrHeld):
		return fmt.Errorf("%w: stop the server that uses it to check it", err)
	case errors.Is(err, store.ErrDamaged):
		return fmt.Errorf("%w\n  start the server with -store %s -store-fresh to move it aside (%s.damaged-TIME) and begin a new store", err, *path, *path)
	case err != nil:
		return err
	}
	fmt.Printf("store %s is sound: %d runs, %d buckets, %d records, %s of keys and values\n", *path, runs, st.Buckets, st.Keys, run.FormatBytes(st.Bytes))
	return nil
}
