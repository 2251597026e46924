package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"

	"pada/core/run"
)

// machineMemory is the machine's memory in bytes (MemTotal of
// /proc/meminfo), or 0 where that cannot be read.
func machineMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return memTotal(b)
}

// memTotal reads MemTotal (in kB) from the text of /proc/meminfo.
func memTotal(b []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemTotal:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil || kb <= 0 || kb > 1<<50 {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// defaultMaxMem is the server's -max-mem when none is given: half of the
// machine's memory (the rest is for the system and the other programs),
// or 4 GiB where the machine's memory cannot be read.
func defaultMaxMem() int64 {
	if m := machineMemory(); m > 0 {
		return min(m/2, run.MaxMemory)
	}
	return 4 << 30
}

// checkMachine is the command line's check: the run must fit the
// machine's memory (most of it: the user chose to run it).
func checkMachine(c run.Config) error {
	m := machineMemory()
	if m == 0 {
		return nil // Validate's fixed caps still hold
	}
	if err := c.CheckBudget(m / 10 * 9); err != nil {
		return fmt.Errorf("%w (nine tenths of this machine's %s)", err, run.FormatBytes(m))
	}
	return nil
}
