package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"pada/serve/api"
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
	msg, err := api.CheckStore(*path)
	if err != nil {
		return err
	}
	fmt.Println(msg)
	return nil
}
