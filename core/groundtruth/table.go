// Package groundtruth reads and writes tables of stand-alone accuracies of
// architectures: the NAS-Bench-201 / NATS-Bench CSV (paper scale) and the
// project's own format for the mini search space. A table answers for every
// architecture isomorphic to one of its rows.
package groundtruth

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"pada/core/space"
)

// Row is one architecture's ground truth.
type Row struct {
	Arch  space.Arch
	Key   string    // isomorphism key in the table's space (NB201: UniqueString)
	Acc   float64   // accuracy in percent (the mean over seeds)
	Seeds []float64 // per-seed accuracies, when the table has them
	Index int       // row index in the source table

	// Filled by the project's own tables only.
	Params  int     // parameters of the stand-alone network
	FLOPs   float64 // multiply-accumulates of one forward pass of one image
	Seconds float64 // training time of all its seeds
}

// Table is a set of rows keyed by isomorphism class.
type Table struct {
	Rows     []Row
	Protocol *Protocol // how the table was made; nil for NB201 tables
	sp       *space.Space
	byKey    map[string]int
}

// Space is the search space of the table's architectures.
func (t *Table) Space() *space.Space { return t.sp }

// NewTable indexes rows by isomorphism key. NB201 trains every one of the
// 15,625 strings, so isomorphic rows are separate measurements of one
// class; lookups answer with the first, the canonical row in table order.
func NewTable(rows []Row) *Table { return NewTableIn(space.NB201Cell, rows) }

// NewTableIn indexes rows of architectures of space sp by isomorphism
// key.
func NewTableIn(sp *space.Space, rows []Row) *Table {
	t := &Table{Rows: rows, sp: sp, byKey: make(map[string]int, len(rows))}
	for i := range rows {
		k := rows[i].Key
		if k == "" {
			k = sp.Key(rows[i].Arch)
			rows[i].Key = k
		}
		if _, dup := t.byKey[k]; !dup {
			t.byKey[k] = i
		}
	}
	return t
}

// Lookup returns the row of a's isomorphism class.
func (t *Table) Lookup(a space.Arch) (Row, bool) {
	i, ok := t.byKey[t.sp.Key(a)]
	if !ok {
		return Row{}, false
	}
	return t.Rows[i], true
}

// Classes is the number of distinct isomorphism classes in the table.
func (t *Table) Classes() int { return len(t.byKey) }

// Unique returns one row per isomorphism class, in table order.
func (t *Table) Unique() []Row {
	out := make([]Row, 0, len(t.byKey))
	for i, r := range t.Rows {
		if t.byKey[r.Key] == i {
			out = append(out, r)
		}
	}
	return out
}

// NB201 column names.
const (
	colArch    = "ArchitectureString"
	colUnique  = "UniqueString"
	ColCIFAR10 = "CIFAR10TestAccuracy200Epochs"
)

// ReadNB201 reads the NAS-Bench-201 / NATS-Bench topology CSV: a header
// naming ArchitectureString, an accuracy column (accCol, e.g. ColCIFAR10)
// and optionally UniqueString, then one row per architecture. Every arch
// string must parse, every accuracy must be a number in [0, 100], and a
// given UniqueString must equal the computed key.
func ReadNB201(r io.Reader, accCol string) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("groundtruth: empty file: no header")
		}
		return nil, fmt.Errorf("groundtruth: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	ia, ok := col[colArch]
	if !ok {
		return nil, fmt.Errorf("groundtruth: header has no %q column (got %q)", colArch, head)
	}
	ic, ok := col[accCol]
	if !ok {
		return nil, fmt.Errorf("groundtruth: header has no %q column (got %q)", accCol, head)
	}
	iu, hasUnique := col[colUnique]
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("groundtruth: %w", err)
		}
		a, err := space.Parse(rec[ia])
		if err != nil {
			return nil, fmt.Errorf("groundtruth: line %d, column %s: %w", line, colArch, err)
		}
		acc, err := strconv.ParseFloat(rec[ic], 64)
		if err != nil || math.IsNaN(acc) || acc < 0 || acc > 100 {
			return nil, fmt.Errorf("groundtruth: line %d, column %s: %q is not an accuracy in [0, 100]", line, accCol, rec[ic])
		}
		row := Row{Arch: a, Key: a.Key(), Acc: acc, Index: len(rows)}
		if hasUnique && rec[iu] != row.Key {
			return nil, fmt.Errorf("groundtruth: line %d: %s %q does not match the architecture's key %q", line, colUnique, rec[iu], row.Key)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errors.New("groundtruth: the table has a header but no rows")
	}
	return NewTable(rows), nil
}
