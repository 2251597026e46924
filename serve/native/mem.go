package native

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"

	"pada/core/run"
)

// MachineMemory is the machine's memory in bytes (MemTotal of
// /proc/meminfo), or 0 where that cannot be read.
func MachineMemory() int64 {
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

// CheckMachine is the command line's check: the run must fit the
// machine's memory (most of it: the user chose to run it).
func CheckMachine(c run.Config) error {
	m := MachineMemory()
	if m == 0 {
		return nil // Validate's fixed caps still hold
	}
	if err := c.CheckBudget(m / 10 * 9); err != nil {
		return fmt.Errorf("%w (nine tenths of this machine's %s)", err, run.FormatBytes(m))
	}
	return nil
}
