package ui

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
)

// Series is one line of a chart.
type Series struct {
	Name  string
	Color string
	X, Y  []float64
}

// Axis options of a line chart.
type Axis struct {
	Title  string
	XLabel string
	YLabel string
	LogY   bool
	IntX   bool // x counts something (epochs): whole-number ticks only
	Width  int
	Height int
}

const font = `font-family="system-ui,sans-serif"`

func esc(s string) string { return html.EscapeString(s) }

// ticks returns about n round values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

func fmtTick(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1e4 || a < 1e-2:
		return strings.Replace(fmt.Sprintf("%.0e", v), "e-0", "e-", 1)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// tickLabels writes tick values with one number of decimals for all,
// the fewest that tell every tick apart and round none of them by more
// than a hundredth of the spacing: labels never repeat.
func tickLabels(vs []float64) []string {
	big := 0.0
	for _, v := range vs {
		big = math.Max(big, math.Abs(v))
	}
	step := math.Inf(1)
	for i := 1; i < len(vs); i++ {
		step = math.Min(step, math.Abs(vs[i]-vs[i-1]))
	}
	exp := big >= 1e4 || big < 1e-2 && big > 0
	var out []string
	for p := 0; p <= 10; p++ {
		out = out[:0]
		ok := true
		seen := map[string]bool{}
		for _, v := range vs {
			var t string
			switch {
			case v == 0:
				t = "0"
			case exp:
				t = strconv.FormatFloat(v, 'e', p, 64)
				t = strings.Replace(strings.Replace(strings.Replace(t, "e-0", "e-", 1), "e+0", "e", 1), "e+", "e", 1)
			default:
				t = strconv.FormatFloat(v, 'f', p, 64)
			}
			back, _ := strconv.ParseFloat(t, 64)
			if seen[t] || !math.IsInf(step, 1) && math.Abs(back-v) > step/100 {
				ok = false
			}
			seen[t] = true
			out = append(out, t)
		}
		if ok {
			break
		}
	}
	return out
}

// LineChart draws series as an SVG line chart with axes, ticks and a
// legend. Points that are not finite (or not positive on a log axis) are
// skipped. With no data it draws the empty frame with a note.
func LineChart(a Axis, series []Series) string {
	W, H := a.Width, a.Height
	if W == 0 {
		W = 520
	}
	if H == 0 {
		H = 260
	}
	const l, r, t, b = 64, 16, 50, 44
	pw, ph := float64(W-l-r), float64(H-t-b)
	fy := func(v float64) float64 {
		if a.LogY {
			return math.Log10(v)
		}
		return v
	}
	ok := func(y float64) bool {
		return !math.IsNaN(y) && !math.IsInf(y, 0) && (!a.LogY || y > 0)
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i := range s.X {
			if !ok(s.Y[i]) {
				continue
			}
			x0, x1 = math.Min(x0, s.X[i]), math.Max(x1, s.X[i])
			y0, y1 = math.Min(y0, fy(s.Y[i])), math.Max(y1, fy(s.Y[i]))
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" fill="currentColor" role="img" aria-label="%s">`, W, H, esc(a.Title))
	fmt.Fprintf(&sb, `<text x="%d" y="20" font-size="17" font-weight="600" %s>%s</text>`, l, font, esc(a.Title))
	fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity="0.45"/>`, l, t, pw, ph)
	if math.IsInf(x0, 0) {
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="middle" font-size="15" fill-opacity="0.65" %s>waiting for data…</text></svg>`, float64(l)+pw/2, float64(t)+ph/2, font)
		return sb.String()
	}
	if x1 == x0 {
		x0, x1 = x0-1, x1+1
	}
	if y1 == y0 {
		d := math.Max(math.Abs(y0)*0.1, 0.5)
		if a.LogY {
			d = 0.5
		}
		y0, y1 = y0-d, y1+d
	}
	pad := (y1 - y0) * 0.05
	y0, y1 = y0-pad, y1+pad
	px := func(x float64) float64 { return float64(l) + (x-x0)/(x1-x0)*pw }
	py := func(y float64) float64 { return float64(t) + (1-(y-y0)/(y1-y0))*ph }
	// Y ticks.
	if a.LogY && y1-y0 >= 1.5 {
		for e := math.Ceil(y0); e <= y1; e++ {
			fmt.Fprintf(&sb, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="currentColor" stroke-opacity="0.14"/>`, l, float64(l)+pw, py(e), py(e))
			fmt.Fprintf(&sb, `<text x="%d" y="%.1f" text-anchor="end" font-size="14" %s>1e%d</text>`, l-6, py(e)+4, font, int(e))
		}
	} else if a.LogY {
		// Less than a decade or two: round values between, at their log positions.
		var vs []float64
		for _, v := range ticks(math.Pow(10, y0), math.Pow(10, y1), 4) {
			if v > 0 {
				vs = append(vs, v)
			}
		}
		for i, lab := range tickLabels(vs) {
			v := vs[i]
			fmt.Fprintf(&sb, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="currentColor" stroke-opacity="0.14"/>`, l, float64(l)+pw, py(math.Log10(v)), py(math.Log10(v)))
			fmt.Fprintf(&sb, `<text x="%d" y="%.1f" text-anchor="end" font-size="14" %s>%s</text>`, l-6, py(math.Log10(v))+4, font, lab)
		}
	} else {
		vs := ticks(y0, y1, 5)
		for i, lab := range tickLabels(vs) {
			fmt.Fprintf(&sb, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="currentColor" stroke-opacity="0.14"/>`, l, float64(l)+pw, py(vs[i]), py(vs[i]))
			fmt.Fprintf(&sb, `<text x="%d" y="%.1f" text-anchor="end" font-size="14" %s>%s</text>`, l-6, py(vs[i])+4, font, lab)
		}
	}
	xs := ticks(x0, x1, 5)
	if a.IntX {
		xs = slices.DeleteFunc(xs, func(v float64) bool { return v != math.Trunc(v) })
	}
	for i, lab := range tickLabels(xs) {
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="14" %s>%s</text>`, px(xs[i]), float64(t)+ph+18, font, lab)
	}
	if a.XLabel != "" {
		fmt.Fprintf(&sb, `<text x="%.0f" y="%d" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>%s</text>`, float64(l)+pw/2, H-4, font, esc(a.XLabel))
	}
	if a.YLabel != "" {
		fmt.Fprintf(&sb, `<text transform="translate(14 %.0f) rotate(-90)" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>%s</text>`, float64(t)+ph/2, font, esc(a.YLabel))
	}
	for _, s := range series {
		var pts []string
		for i := range s.X {
			if ok(s.Y[i]) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[i]), py(fy(s.Y[i]))))
			}
		}
		if len(pts) == 1 {
			fmt.Fprintf(&sb, `<circle r="4" cx="%s" cy="%s" fill="%s"/>`, strings.Split(pts[0], ",")[0], strings.Split(pts[0], ",")[1], s.Color)
		} else if len(pts) > 1 {
			fmt.Fprintf(&sb, `<polyline fill="none" stroke="%s" stroke-width="2.5" points="%s"/>`, s.Color, strings.Join(pts, " "))
		}
	}
	// Legend, under the title.
	lx := l
	for _, s := range series {
		fmt.Fprintf(&sb, `<rect x="%d" y="30" width="16" height="5" fill="%s"/><text x="%d" y="37" font-size="14" %s>%s</text>`, lx, s.Color, lx+20, font, esc(s.Name))
		lx += 8*len([]rune(s.Name)) + 36
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}

// Table renders rows as an HTML table with a caption.
func Table(caption string, head []string, rows [][]string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<table><caption>%s</caption><thead><tr>`, esc(caption))
	for _, h := range head {
		fmt.Fprintf(&sb, `<th scope="col">%s</th>`, esc(h))
	}
	sb.WriteString(`</tr></thead><tbody>`)
	for _, row := range rows {
		sb.WriteString(`<tr>`)
		for _, c := range row {
			fmt.Fprintf(&sb, `<td>%s</td>`, esc(c))
		}
		sb.WriteString(`</tr>`)
	}
	sb.WriteString(`</tbody></table>`)
	return sb.String()
}

// OpColors colour the five ops in every chart.
var OpColors = [space.NumOps]string{"#bbbbbb", "#56B4E9", "#E69F00", "#D55E00", "#009E73"}

// OpShort are short op names for labels, by NB201 op index.
var OpShort = [space.NumOps]string{"none", "skip", "conv1x1", "conv3x3", "avgpool"}

// opShort is op o's label in space sp: NB201's ops (which every
// registered space uses) by their short names, any other op by its own.
func opShort(sp *space.Space, o int) string {
	if o < 0 || o >= sp.NumOps() {
		return "?"
	}
	name := sp.Op(space.Op(o)).Name
	if o < len(OpShort) && name == space.NB201Cell.OpName(space.Op(o)) {
		return OpShort[o]
	}
	return name
}

// opColor is op o's colour; an index outside the palette wraps.
func opColor(o int) string { return OpColors[max(o, 0)%len(OpColors)] }

// opLabels are the short labels of sp's ops, in index order.
func opLabels(sp *space.Space) []string {
	out := make([]string, sp.NumOps())
	for o := range out {
		out[o] = opShort(sp, o)
	}
	return out
}

// probRows is an event's path distribution as edges x ops of sp: rows or
// entries the event lacks are 0, and a value outside [0, 1] (NaN
// included) is clamped, so a short or malformed event draws what it
// says and never breaks a chart.
func probRows(sp *space.Space, p [][]float64) [][]float64 {
	out := make([][]float64, sp.NumEdges())
	for e := range out {
		out[e] = make([]float64, sp.NumOps())
		if e >= len(p) {
			continue
		}
		for o := range out[e] {
			if o < len(p[e]) && p[e][o] > 0 {
				out[e][o] = min(p[e][o], 1)
			}
		}
	}
	return out
}

// uniformRows is the distribution every run starts from.
func uniformRows(sp *space.Space) [][]float64 {
	out := make([][]float64, sp.NumEdges())
	for e := range out {
		out[e] = make([]float64, sp.NumOps())
		for o := range out[e] {
			out[e][o] = 1 / float64(sp.NumOps())
		}
	}
	return out
}

// PathBars draws the path distribution as one stacked bar per edge of
// space sp (all edges are the same in the reference mode, which shares
// one distribution across edges); p is edges x ops (probRows).
func PathBars(title string, sp *space.Space, p [][]float64) string {
	p = probRows(sp, p)
	const W, l, t, rowH = 520, 86, 34, 26
	H := t + sp.NumEdges()*rowH + 60
	pw := float64(W - l - 20)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" fill="currentColor" role="img" aria-label="%s">`, W, H, esc(title))
	fmt.Fprintf(&sb, `<text x="%d" y="20" font-size="17" font-weight="600" %s>%s</text>`, l, font, esc(title))
	for e := range p {
		y := t + e*rowH
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="14" %s>edge %s</text>`, l-6, y+17, font, edgeName(sp, e))
		x := float64(l)
		for op, v := range p[e] {
			w := v * pw
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %.1f%%</title></rect>`, x, y+2, w, rowH-4, opColor(op), esc(opShort(sp, op)), 100*v)
			if w > 40 {
				fmt.Fprintf(&sb, `<text x="%.1f" y="%d" text-anchor="middle" font-size="14" fill="#111" %s>%.0f%%</text>`, x+w/2, y+17, font, 100*v)
			}
			x += w
		}
	}
	legend(&sb, sp, l, H-22, 24)
	sb.WriteString(`</svg>`)
	return sb.String()
}

// legend writes one swatch per op of sp on a row at y, from x.
func legend(sb *strings.Builder, sp *space.Space, x, y, gap int) {
	for op, name := range opLabels(sp) {
		fmt.Fprintf(sb, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="14" %s>%s</text>`, x, y, opColor(op), x+16, y+10, font, esc(name))
		x += gap + 8*len(name)
	}
}

// cellLayout places a space's cell for drawing: nodes on a line, input
// left, and each edge's arc height (0: straight, between neighbours;
// positive above the line, negative below). Edges that skip nodes arc,
// higher the more they skip, so nested arcs on one side never meet; two
// that interleave (a < c < b < d) would cross on the same side, so they
// go on opposite sides, chosen greedily in edge order. That draws every
// registered space without crossings (NB201's cell, K4, is planar: 0→2
// and 0→3 above, 1→3 below); a space whose interleavings form an odd
// cycle would need a third side, and then two arcs may cross.
func cellLayout(sp *space.Space) (arc []float64) {
	edges := sp.Edges()
	arc = make([]float64, len(edges))
	interleave := func(a, b space.Edge) bool {
		return a.From < b.From && b.From < a.To && a.To < b.To || b.From < a.From && a.From < b.To && b.To < a.To
	}
	for i, e := range edges {
		span := e.To - e.From
		if span < 2 {
			continue
		}
		above := true
		for j := range i {
			if arc[j] > 0 && interleave(edges[j], e) {
				above = false
			}
		}
		// The heights NB201's drawing has always had: 60 and 118 above,
		// 55 below for a span of 2.
		if above {
			arc[i] = 60 + 58*float64(span-2)
		} else {
			arc[i] = -(55 + 58*float64(span-2))
		}
	}
	return arc
}

// CellDAG draws the cell of space sp: its nodes on a line, the input on
// the left and the output on the right, and its edges as arrows labelled
// with the op of the sampled path and coloured by it ("none" edges are
// dashed); cellLayout keeps them from crossing. ops has one entry per
// edge; a missing or unknown one draws as "none".
func CellDAG(title string, sp *space.Space, ops []int) string {
	const r = 17.0
	edges := sp.Edges()
	arc := cellLayout(sp)
	var up, down float64
	for _, a := range arc {
		up, down = max(up, a), max(down, -a)
	}
	// Room for the title and the highest label above, the lowest below.
	y0 := 44 + up + 8
	H := y0 + r + 20
	if down > 0 {
		H = y0 + down + 30
	}
	// NB201's 4 nodes span 335 units of a 520-wide drawing; fewer nodes
	// get at most 130 between them and a narrower drawing, so that it
	// scales up (its text too) instead of floating in blank space, which
	// matters most on a phone.
	nodes := sp.Nodes()
	xs := make([]float64, nodes)
	gap := math.Min(130, 335/float64(max(nodes-1, 1)))
	for i := range xs {
		xs[i] = 95 + float64(i)*gap
	}
	W := xs[nodes-1] + 90 // room for "output"
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" class="chart" fill="currentColor" role="img" aria-label="%s">`, W, H, esc(title))
	fmt.Fprintf(&sb, `<text x="10" y="20" font-size="17" font-weight="600" %s>%s</text>`, font, esc(title))
	for e, ed := range edges {
		ax, bx := xs[ed.From], xs[ed.To]
		// A quadratic curve peaks at half its control point's offset.
		cx, cy := (ax+bx)/2, y0-2*arc[e]
		op := 0
		if e < len(ops) && ops[e] >= 0 && ops[e] < sp.NumOps() {
			op = ops[e]
		}
		// Start and end on the node circles, so the arrowhead shows.
		sx, sy := toward(ax, y0, cx, cy, r)
		ex, ey := toward(bx, y0, cx, cy, r+1)
		dash := ""
		width := 3.5
		if sp.Op(space.Op(op)).Kind == space.Zero {
			dash = ` stroke-dasharray="6 5"`
			width = 2
		}
		fmt.Fprintf(&sb, `<path d="M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="%.1f"%s/>`,
			sx, sy, cx, cy, ex, ey, opColor(op), width, dash)
		// Arrowhead at the end, along the curve's final direction.
		ux, uy := ex-cx, ey-cy
		if arc[e] == 0 {
			ux, uy = bx-ax, 0
		}
		n := math.Hypot(ux, uy)
		ux, uy = ux/n, uy/n
		fmt.Fprintf(&sb, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/>`, ex, ey,
			ex-12*ux-6*uy, ey-12*uy+6*ux, ex-12*ux+6*uy, ey-12*uy-6*ux, opColor(op))
		lx, ly := (ax+bx)/2, y0-arc[e]-8
		if arc[e] < 0 {
			ly = y0 - arc[e] + 18
		}
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="middle" font-size="14" font-weight="600" fill="%s" stroke="#fff" stroke-width="4" paint-order="stroke" class="halo" %s>%s</text>`,
			lx, ly, darker(opColor(op)), font, esc(opShort(sp, op)))
	}
	for i, x := range xs {
		fmt.Fprintf(&sb, `<circle cx="%.0f" cy="%.0f" r="%.0f" fill="#fff" class="bg" stroke="currentColor" stroke-width="2"/><text x="%.0f" y="%.0f" text-anchor="middle" font-size="15" %s>%d</text>`, x, y0, r, x, y0+5, font, i)
	}
	fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="end" font-size="14" fill-opacity="0.8" %s>input</text>`, xs[0]-r-6, y0+5, font)
	fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" font-size="14" fill-opacity="0.8" %s>output</text>`, xs[nodes-1]+r+6, y0+5, font)
	sb.WriteString(`</svg>`)
	return sb.String()
}

// toward is the point at distance d from (x, y) in the direction of
// (tx, ty).
func toward(x, y, tx, ty, d float64) (float64, float64) {
	dx, dy := tx-x, ty-y
	n := math.Hypot(dx, dy)
	if n == 0 {
		return x, y
	}
	return x + d*dx/n, y + d*dy/n
}

func darker(c string) string {
	if c == "#bbbbbb" {
		return "#777777"
	}
	return c
}

// meanOverEdges is each op's probability averaged over the edges of a
// distribution of sp (probRows).
func meanOverEdges(sp *space.Space, p [][]float64) []float64 {
	m := make([]float64, sp.NumOps())
	for _, row := range probRows(sp, p) {
		for o, v := range row {
			m[o] += v / float64(sp.NumEdges())
		}
	}
	return m
}

// PathHistory draws how the path distribution changed over the epochs:
// each op's probability, averaged over the edges of space sp, stacked to
// 100%, from the uniform start (epoch 0) to the last finished epoch.
func PathHistory(title string, sp *space.Space, probs [][][]float64) string {
	const W, H, l, r, t, b = 520, 260, 56, 16, 34, 62
	pw, ph := float64(W-l-r), float64(H-t-b)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" fill="currentColor" role="img" aria-label="%s">`, W, H, esc(title))
	fmt.Fprintf(&sb, `<text x="%d" y="20" font-size="17" font-weight="600" %s>%s</text>`, l, font, esc(title))
	// Mean over edges per epoch, the start (uniform) first.
	u := meanOverEdges(sp, uniformRows(sp))
	mean := [][]float64{u}
	for _, p := range probs {
		mean = append(mean, meanOverEdges(sp, p))
	}
	n := len(mean) - 1
	xmax := float64(max(n, 1))
	px := func(i int) float64 { return float64(l) + float64(i)/xmax*pw }
	py := func(v float64) float64 { return float64(t) + (1-v)*ph }
	if n == 0 {
		// Only the start: one flat band per op across the frame.
		mean = append(mean, u)
	}
	cum := make([]float64, len(mean))
	for op := range sp.NumOps() {
		var top, bottom []string
		for i, m := range mean {
			top = append(top, fmt.Sprintf("%.1f,%.1f", px(i), py(cum[i]+m[op])))
			bottom = append(bottom, fmt.Sprintf("%.1f,%.1f", px(i), py(cum[i])))
		}
		slices.Reverse(bottom)
		fmt.Fprintf(&sb, `<polygon points="%s %s" fill="%s"><title>%s</title></polygon>`, strings.Join(top, " "), strings.Join(bottom, " "), opColor(op), esc(opShort(sp, op)))
		for i, m := range mean {
			cum[i] += m[op]
		}
	}
	fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity="0.45"/>`, l, t, pw, ph)
	for _, v := range []float64{0, 0.5, 1} {
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" text-anchor="end" font-size="14" %s>%.0f%%</text>`, l-6, py(v)+5, font, 100*v)
	}
	var xt []float64
	for _, v := range ticks(0, float64(n), min(max(n, 1), 6)) {
		xt = append(xt, math.Round(v))
	}
	xt = slices.Compact(xt)
	for _, v := range xt {
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="14" %s>%.0f</text>`, px(int(v)), float64(t)+ph+18, font, v)
	}
	fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>epoch (0 = start, uniform)</text>`, float64(l)+pw/2, float64(t)+ph+36, font)
	legend(&sb, sp, l, H-13, 26)
	sb.WriteString(`</svg>`)
	return sb.String()
}

// Histogram draws a data sampler summary: how many examples have each
// sampling weight N*q (1 = uniform), on a log axis.
func Histogram(title string, s *sampler.Summary) string {
	const W, H, l, r, t, b = 520, 250, 56, 16, 34, 44
	pw, ph := float64(W-l-r), float64(H-t-b)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" fill="currentColor" role="img" aria-label="%s">`, W, H, esc(title))
	fmt.Fprintf(&sb, `<text x="%d" y="20" font-size="17" font-weight="600" %s>%s</text>`, l, font, esc(title))
	fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity="0.45"/>`, l, t, pw, ph)
	if s == nil || len(s.Counts) == 0 {
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="middle" font-size="15" fill-opacity="0.65" %s>uniform data sampling: every weight is 1</text></svg>`, float64(l)+pw/2, float64(t)+ph/2, font)
		return sb.String()
	}
	top := 1
	for _, c := range s.Counts {
		top = max(top, c)
	}
	bw := pw / float64(len(s.Counts))
	for i, c := range s.Counts {
		h := float64(c) / float64(top) * ph
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#D55E00"><title>%s–%s: %d</title></rect>`,
			float64(l)+float64(i)*bw+1, float64(t)+ph-h, bw-2, h, fmtTick(s.Edges[i]), fmtTick(s.Edges[i+1]), c)
	}
	lo, hi := math.Log(s.Edges[0]), math.Log(s.Edges[len(s.Edges)-1])
	px := func(v float64) float64 { return float64(l) + (math.Log(v)-lo)/(hi-lo)*pw }
	for _, v := range []float64{0.01, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100} {
		if v < s.Edges[0] || v > s.Edges[len(s.Edges)-1] {
			continue
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="14" %s>%s</text>`, px(v), float64(t)+ph+18, font, fmtTick(v))
		if v == 1 {
			fmt.Fprintf(&sb, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="currentColor" stroke-dasharray="4 3"/>`, px(v), px(v), t, float64(t)+ph)
		}
	}
	fmt.Fprintf(&sb, `<text x="%.0f" y="%d" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>sampling weight N·q (1 = uniform, log scale)</text>`, float64(l)+pw/2, H-4, font)
	fmt.Fprintf(&sb, `<text transform="translate(14 %.0f) rotate(-90)" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>examples</text>`, float64(t)+ph/2, font)
	sb.WriteString(`</svg>`)
	return sb.String()
}

// Scatter draws predicted (supernet, inherited weights) against ground
// truth accuracy per architecture and run. Without ground truth it draws
// each run's predicted accuracies sorted, so the spread is still visible.
func Scatter(title string, runs []*Run, baselines []run.Baseline) string {
	const W, l, r, b = 520, 56, 16, 44
	// One legend line per run, under the title, then the baselines.
	t := 34 + 22*len(runs)
	if len(baselines) > 0 {
		t += 40
	}
	H := t + 222 + b
	pw, ph := float64(W-l-r), float64(H-t-b)
	truth := false
	for _, run := range runs {
		truth = truth || run.HasTruth()
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, run := range runs {
		for i, p := range run.Ranked {
			x := float64(i)
			if truth {
				if p.Truth < 0 {
					continue
				}
				x = p.Truth
			}
			x0, x1 = math.Min(x0, x), math.Max(x1, x)
			y0, y1 = math.Min(y0, p.Pred), math.Max(y1, p.Pred)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" fill="currentColor" role="img" aria-label="%s">`, W, H, esc(title))
	fmt.Fprintf(&sb, `<text x="%d" y="20" font-size="17" font-weight="600" %s>%s</text>`, l, font, esc(title))
	fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity="0.45"/>`, l, t, pw, ph)
	for i, run := range runs {
		y := 44 + 22*i
		fmt.Fprintf(&sb, `<circle cx="%d" cy="%d" r="6" fill="%s"/><text x="%d" y="%d" font-size="14" %s>%s</text>`,
			l+6, y-5, run.Color, l+17, y, font, esc(run.Label()+" "+run.LegendTau()))
	}
	if len(baselines) > 0 {
		// Two lines: the free proxies' taus, then why they are there.
		y := 44 + 22*len(runs)
		var parts []string
		for _, b := range baselines {
			parts = append(parts, fmt.Sprintf("%s %.2f", b.Name, b.Tau))
		}
		fmt.Fprintf(&sb, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="currentColor" stroke-width="2" stroke-dasharray="4 3"/><text x="%d" y="%d" font-size="14" %s>free baselines τ: %s</text>`,
			l, l+12, y-5, y-5, l+17, y, font, esc(strings.Join(parts, " · ")))
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="14" fill-opacity="0.8" %s>a supernet must beat these to be worth training</text>`, l+17, y+19, font)
	}
	if math.IsInf(x0, 0) {
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="middle" font-size="15" fill-opacity="0.65" %s>architectures are ranked after training</text></svg>`, float64(l)+pw/2, float64(t)+ph/2, font)
		return sb.String()
	}
	if x1 == x0 {
		x0, x1 = x0-1, x1+1
	}
	if y1 == y0 {
		y0, y1 = y0-1, y1+1
	}
	px := func(x float64) float64 { return float64(l) + (x-x0)/(x1-x0)*pw }
	py := func(y float64) float64 { return float64(t) + (1-(y-y0)/(y1-y0))*ph }
	ys := ticks(y0, y1, 5)
	for i, lab := range tickLabels(ys) {
		fmt.Fprintf(&sb, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="currentColor" stroke-opacity="0.14"/><text x="%d" y="%.1f" text-anchor="end" font-size="14" %s>%s</text>`, l, float64(l)+pw, py(ys[i]), py(ys[i]), l-6, py(ys[i])+4, font, lab)
	}
	if truth {
		xs := ticks(x0, x1, 5)
		for i, lab := range tickLabels(xs) {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="14" %s>%s</text>`, px(xs[i]), float64(t)+ph+18, font, lab)
		}
	}
	xl := "ground-truth accuracy (%)"
	if !truth {
		xl = "architectures, sorted by predicted accuracy (no ground truth yet)"
	}
	fmt.Fprintf(&sb, `<text x="%.0f" y="%d" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>%s</text>`, float64(l)+pw/2, H-4, font, esc(xl))
	fmt.Fprintf(&sb, `<text transform="translate(14 %.0f) rotate(-90)" text-anchor="middle" font-size="14" fill-opacity="0.8" %s>supernet accuracy (%%)</text>`, float64(t)+ph/2, font)
	for _, run := range runs {
		preds := make([]float64, 0, len(run.Ranked))
		for _, p := range run.Ranked {
			preds = append(preds, p.Pred)
		}
		if !truth {
			sort.Float64s(preds)
			if len(preds) > 1 {
				x1 = float64(len(preds) - 1)
			}
		}
		for i, p := range run.Ranked {
			x, y := float64(i), p.Pred
			if truth {
				if p.Truth < 0 {
					continue
				}
				x = p.Truth
			} else {
				y = preds[i]
			}
			fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" fill-opacity="0.7"/>`, px(x), py(y), run.Color)
		}
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}

// Thumbnail returns a data: URL of a BMP image of raw pixels (channel-major,
// c = 1 or 3), which every browser shows in an <img>.
func Thumbnail(px []byte, c, h, w int) string {
	if c != 1 && c != 3 || len(px) < c*h*w || h <= 0 || w <= 0 {
		return ""
	}
	row := (3*w + 3) &^ 3
	size := 54 + row*h
	b := make([]byte, size)
	b[0], b[1] = 'B', 'M'
	le := binary.LittleEndian
	le.PutUint32(b[2:], uint32(size))
	le.PutUint32(b[10:], 54)
	le.PutUint32(b[14:], 40)
	le.PutUint32(b[18:], uint32(w))
	le.PutUint32(b[22:], uint32(h)) // bottom-up
	le.PutUint16(b[26:], 1)
	le.PutUint16(b[28:], 24)
	le.PutUint32(b[34:], uint32(row*h))
	for y := 0; y < h; y++ {
		o := 54 + (h-1-y)*row
		for x := 0; x < w; x++ {
			var r, g, bl byte
			if c == 1 {
				v := px[y*w+x]
				r, g, bl = v, v, v
			} else {
				r, g, bl = px[y*w+x], px[h*w+y*w+x], px[2*h*w+y*w+x]
			}
			b[o+3*x], b[o+3*x+1], b[o+3*x+2] = bl, g, r
		}
	}
	return "data:image/bmp;base64," + base64.StdEncoding.EncodeToString(b)
}

// edgeName is edge e of sp as "i←j" (target ← source).
func edgeName(sp *space.Space, e int) string {
	if e < 0 || e >= sp.NumEdges() {
		return "?"
	}
	ed := sp.Edge(e)
	return fmt.Sprintf("%d←%d", ed.To, ed.From)
}
