#!/bin/sh
# bench.sh runs BenchmarkGemm natively and under wasm (node) and prints one
# table of GFLOP/s per conv shape. Each number is the best of COUNT runs,
# because on a shared machine the slow runs measure the neighbours. The
# single-threaded columns are per second of CPU time (GFLOP/cpu-s), which
# time-slicing with other processes does not dilute; par2 is per second of
# wall time, the only measure of a parallel speedup, so it needs an
# otherwise idle machine to mean anything.
#
#   core/gemm/bench.sh                 # all shapes, COUNT=3
#   COUNT=1 SHAPES='fwd_m16_' core/gemm/bench.sh
#
# Columns: go = the pure-Go kernel, sgemm = Sgemm (natively it hands the
# work to gonum's kernels, see README.md), gonum = gonum's Sgemm as is,
# all single-threaded; go/gn = go ÷ gonum; go.wasm and gn.wasm = the same
# under node; w/nat = go.wasm ÷ go; par2 = Parallel on two workers and
# x1thr = par2 ÷ Sgemm, both in wall time from one run.
set -eu
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-3}
SHAPES=${SHAPES:-.}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench "BenchmarkGemm/$SHAPES/(go|sgemm|gonum)\$" -count "$COUNT" -cpu 1 ./core/gemm/ |
	sed 's/^Benchmark/native /' >>"$out"
go test -run '^$' -bench "BenchmarkGemm/$SHAPES/(sgemm|par2)\$" -count "$COUNT" -cpu 2 ./core/gemm/ |
	sed 's/^Benchmark/wall /' >>"$out"
GOOS=js GOARCH=wasm go test -run '^$' -bench "BenchmarkGemm/$SHAPES/(go|gonum)\$" -count "$COUNT" \
	-exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./core/gemm/ |
	sed 's/^Benchmark/wasm /' >>"$out"

awk '
$1 == "native" || $1 == "wasm" || $1 == "wall" {
	name = $2; sub(/-[0-9]+$/, "", name)       # drop the -cpu suffix
	split(name, p, "/")                         # Gemm/shape/impl
	shape = p[2]; impl = $1 "/" p[3]
	unit = $1 == "wall" ? "GFLOP/s" : "GFLOP/cpu-s"
	g = 0
	for (i = 3; i < NF; i++) if ($(i+1) == unit) g = $i + 0
	if (!(shape in seen)) { seen[shape] = 1; order[++ns] = shape }
	if (g > best[shape, impl]) best[shape, impl] = g
}
function f(v) { return v > 0 ? sprintf("%7.2f", v) : "      -" }
function r(a, b) { return a > 0 && b > 0 ? sprintf("%6.2f", a / b) : "     -" }
END {
	printf "%-24s %7s %7s %7s %6s %7s %7s %6s %7s %6s\n", "GFLOP/s", "go", "sgemm", "gonum", "go/gn",
		"go.wasm", "gn.wasm", "w/nat", "par2", "x1thr"
	for (i = 1; i <= ns; i++) {
		s = order[i]
		go = best[s, "native/go"]; sg = best[s, "native/sgemm"]; gn = best[s, "native/gonum"]
		wg = best[s, "wasm/go"]; wn = best[s, "wasm/gonum"]
		p2 = best[s, "wall/par2"]; s1 = best[s, "wall/sgemm"]
		printf "%-24s %s %s %s %s %s %s %s %s %s\n", s, f(go), f(sg), f(gn), r(go, gn), f(wg), f(wn),
			r(wg, go), f(p2), r(p2, s1)
	}
}' "$out"
