package groundtruth

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"pada/core/space"
)

// DefaultFile is the name of the table shipped for the default preset
// under public/data.
const DefaultFile = "groundtruth-mini.csv"

// defaultFiles names the table shipped under public/data for each search
// space: what a Config's eval.truth "default" means in that space.
var defaultFiles = map[string]string{
	space.NB201Cell.Name():      DefaultFile,
	space.NB201SmallCell.Name(): "groundtruth-nb201small.csv",
}

// DefaultFileFor is the name under public/data of the table shipped for
// the named search space ("" for nb201), or an error naming the space
// when none ships.
func DefaultFileFor(spaceName string) (string, error) {
	if spaceName == "" {
		spaceName = space.NB201Cell.Name()
	}
	if f, ok := defaultFiles[spaceName]; ok {
		return f, nil
	}
	return "", fmt.Errorf("no ground-truth table ships for search space %q", spaceName)
}

// magic opens every table in the project's format.
const magic = "# pada ground truth v1"

// Protocol records how a table was made, so that a table can be checked
// against the data and settings it claims.
type Protocol struct {
	Preset string `json:"preset"`
	// Space is the search space of the rows; absent means nb201, so
	// that tables written before spaces were named keep their protocol.
	Space    string          `json:"space,omitempty"`
	Shape    json.RawMessage `json:"shape"`     // the space.Shape, as written
	Data     string          `json:"data"`      // dataset name
	DataHash string          `json:"data_hash"` // data.Set Hash of training and evaluation files
	Epochs   int             `json:"epochs"`
	Schedule json.RawMessage `json:"schedule"` // the training hyper-parameters, as written
	Seeds    []uint64        `json:"seeds"`
	Code     string          `json:"code"` // code version that trained it
}

// header is the CSV header of the project's format for a table of k seeds.
func header(seeds []uint64) []string {
	h := []string{"arch", "key"}
	for _, s := range seeds {
		h = append(h, fmt.Sprintf("acc_seed%d", s))
	}
	return append(h, "mean", "params", "flops", "seconds")
}

// WriteHeader starts a table: the magic line, the protocol as a JSON
// comment, and the CSV header.
func WriteHeader(w io.Writer, p Protocol) error {
	pj, err := json.Marshal(p)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n# protocol: %s\n", magic, pj)
	cw := csv.NewWriter(&b)
	cw.Write(header(p.Seeds))
	cw.Flush()
	_, err = w.Write(b.Bytes())
	return err
}

// FormatRow renders one row of an NB201 table (FormatRowIn).
func FormatRow(r Row, seeds int) []byte { return FormatRowIn(space.NB201Cell, r, seeds) }

// FormatRowIn renders one row of a table of space sp; a NaN accuracy
// (seed not trained) is empty.
func FormatRowIn(sp *space.Space, r Row, seeds int) []byte {
	rec := []string{sp.Format(r.Arch), sp.Key(r.Arch)}
	for i := 0; i < seeds; i++ {
		v := ""
		if i < len(r.Seeds) && !math.IsNaN(r.Seeds[i]) {
			v = strconv.FormatFloat(r.Seeds[i], 'f', 4, 64)
		}
		rec = append(rec, v)
	}
	rec = append(rec, strconv.FormatFloat(r.Acc, 'f', 4, 64), strconv.Itoa(r.Params),
		strconv.FormatFloat(r.FLOPs, 'f', 0, 64), strconv.FormatFloat(r.Seconds, 'f', 2, 64))
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(rec)
	cw.Flush()
	return b.Bytes()
}

// Read reads a table in the project's format. Rows with a malformed field
// are refused, naming the line and column; a row whose key disagrees with
// its arch string is refused too.
func Read(r io.Reader) (*Table, error) {
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if strings.TrimRight(first, "\r\n") != magic {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("groundtruth: %w", err)
		}
		return nil, fmt.Errorf("groundtruth: line 1 is %.40q, want %q: not a table in the project's format", first, magic)
	}
	second, err := br.ReadString('\n')
	const pfx = "# protocol: "
	if err != nil || !strings.HasPrefix(second, pfx) {
		return nil, fmt.Errorf("groundtruth: line 2 must be the %q comment", strings.TrimSpace(pfx))
	}
	var p Protocol
	if err := json.Unmarshal([]byte(strings.TrimPrefix(second, pfx)), &p); err != nil {
		return nil, fmt.Errorf("groundtruth: line 2: protocol: %w", err)
	}
	sp, err := p.SearchSpace()
	if err != nil {
		return nil, fmt.Errorf("groundtruth: line 2: protocol: %w", err)
	}
	cr := csv.NewReader(br)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("groundtruth: line 3 (CSV header): %w", err)
	}
	want := header(p.Seeds)
	if strings.Join(head, ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("groundtruth: line 3: header %q does not match the protocol's %d seeds (want %q)", head, len(p.Seeds), want)
	}
	k := len(p.Seeds)
	var rows []Row
	seen := map[string]int{}
	for line := 4; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("groundtruth: line %d: %w", line, err)
		}
		a, err := sp.Parse(rec[0])
		if err != nil {
			return nil, fmt.Errorf("groundtruth: line %d, column arch: %w", line, err)
		}
		row := Row{Arch: a, Key: sp.Key(a), Index: len(rows)}
		if rec[1] != row.Key {
			return nil, fmt.Errorf("groundtruth: line %d, column key: %q is not the key of %s (%q)", line, rec[1], rec[0], row.Key)
		}
		if prev, dup := seen[row.Key]; dup {
			return nil, fmt.Errorf("groundtruth: line %d: %s is isomorphic to line %d; a class has one row", line, rec[0], prev)
		}
		seen[row.Key] = line
		var sum float64
		n := 0
		for i := 0; i < k; i++ {
			v := math.NaN()
			if rec[2+i] != "" {
				if v, err = parseAcc(rec[2+i]); err != nil {
					return nil, fmt.Errorf("groundtruth: line %d, column %s: %w", line, head[2+i], err)
				}
				sum += v
				n++
			}
			row.Seeds = append(row.Seeds, v)
		}
		if n == 0 {
			return nil, fmt.Errorf("groundtruth: line %d: no seed has an accuracy", line)
		}
		if row.Acc, err = parseAcc(rec[2+k]); err != nil {
			return nil, fmt.Errorf("groundtruth: line %d, column mean: %w", line, err)
		}
		if math.Abs(row.Acc-sum/float64(n)) > 1e-3 {
			return nil, fmt.Errorf("groundtruth: line %d, column mean: %.4f is not the mean of the seeds (%.4f)", line, row.Acc, sum/float64(n))
		}
		if row.Params, err = strconv.Atoi(rec[3+k]); err != nil || row.Params < 0 {
			return nil, fmt.Errorf("groundtruth: line %d, column params: %q is not a count", line, rec[3+k])
		}
		if row.FLOPs, err = strconv.ParseFloat(rec[4+k], 64); err != nil || row.FLOPs < 0 {
			return nil, fmt.Errorf("groundtruth: line %d, column flops: %q is not a count", line, rec[4+k])
		}
		if row.Seconds, err = strconv.ParseFloat(rec[5+k], 64); err != nil || row.Seconds < 0 {
			return nil, fmt.Errorf("groundtruth: line %d, column seconds: %q is not a duration", line, rec[5+k])
		}
		rows = append(rows, row)
	}
	t := NewTableIn(sp, rows)
	t.Protocol = &p
	return t, nil
}

// SearchSpace is the space the protocol names ("" is nb201).
func (p *Protocol) SearchSpace() (*space.Space, error) { return space.Lookup(p.Space) }

func parseAcc(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("%q is not an accuracy in [0, 100]", s)
	}
	return v, nil
}

// ReadAny reads either format: the project's (it starts with the magic
// comment) or the NAS-Bench-201 CSV (CIFAR-10 accuracy).
func ReadAny(r io.Reader) (*Table, error) {
	br := bufio.NewReader(r)
	peek, _ := br.Peek(len(magic))
	if string(peek) == magic {
		return Read(br)
	}
	return ReadNB201(br, ColCIFAR10)
}
