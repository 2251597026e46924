package space

// Op is a candidate operation on one edge of the cell. The numeric values
// are the NAS-Bench-201 op indices, so an Op can index per-op tables and
// the digits of Arch.Index directly.
type Op uint8

// The five NAS-Bench-201 operations, in their index order.
const (
	None       Op = iota // zeros: the edge is absent
	Skip                 // identity
	Conv1x1              // ReLU, 1x1 conv with bias, BatchNorm without affine
	Conv3x3              // ReLU, 3x3 conv with bias, BatchNorm without affine
	AvgPool3x3           // 3x3 average pool, stride 1, padding not counted
)

// NumOps is the number of candidate operations per edge.
const NumOps = 5

// String returns the NAS-Bench-201 name of o, or "Op(n)" if o is not one
// of the five operations.
func (o Op) String() string { return NB201Cell.OpName(o) }

// HasParams reports whether o has trainable weights in NB201; only the two
// convolutions do (their BatchNorm is not affine).
func (o Op) HasParams() bool { return NB201Cell.HasParams(o) }

// ParseOp returns the NB201 operation with name s. The match is exact:
// case and surrounding space matter, as they do in the benchmark's
// strings.
func ParseOp(s string) (Op, error) { return NB201Cell.ParseOp(s) }

// clip shortens s for an error message, so that a huge bad input does not
// become a huge error.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
