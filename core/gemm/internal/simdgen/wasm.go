package main

import (
	"bytes"
	"math"
)

// This file is a minimal WebAssembly binary encoder: just the sections,
// instructions and types the kernel module uses. Opcodes are from the
// WebAssembly 2.0 core specification and its fixed-width SIMD proposal
// (all in the 0xFD prefix space).

// Value types.
const (
	i32  byte = 0x7F
	f32  byte = 0x7D
	v128 byte = 0x7B
)

// Instruction opcodes (single byte).
const (
	opBlock    = 0x02
	opLoop     = 0x03
	opIf       = 0x04
	opElse     = 0x05
	opEnd      = 0x0B
	opBr       = 0x0C
	opBrIf     = 0x0D
	opCall     = 0x10
	opSelect   = 0x1B
	opLocalGet = 0x20
	opLocalSet = 0x21
	opLocalTee = 0x22
	opF32Load  = 0x2A
	opF32Store = 0x38
	opI32Const = 0x41
	opF32Const = 0x43
	opI32Eqz   = 0x45
	opI32Eq    = 0x46
	opI32Ne    = 0x47
	opI32LtS   = 0x48
	opI32GtS   = 0x4A
	opI32LeS   = 0x4C
	opI32GeS   = 0x4E
	opF32Eq    = 0x5B
	opI32Add   = 0x6A
	opI32Sub   = 0x6B
	opI32Mul   = 0x6C
	opI32Shl   = 0x74
	opF32Add   = 0x92
	opF32Mul   = 0x94
)

// SIMD opcodes, after the 0xFD prefix.
const (
	simdLoad       = 0x00
	simdLoad32Splt = 0x09
	simdStore      = 0x0B
	simdConst      = 0x0C
	simdShuffle    = 0x0D
	simdF32x4Splat = 0x13
	simdF32x4Add   = 0xE4
	simdF32x4Mul   = 0xE6
)

func uleb(w *bytes.Buffer, v uint64) {
	for {
		b := byte(v & 0x7F)
		v >>= 7
		if v != 0 {
			w.WriteByte(b | 0x80)
			continue
		}
		w.WriteByte(b)
		return
	}
}

func sleb(w *bytes.Buffer, v int64) {
	for {
		b := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			w.WriteByte(b)
			return
		}
		w.WriteByte(b | 0x80)
	}
}

// local is a function parameter or local variable, by index.
type local uint32

// fn is one function being assembled.
type fn struct {
	name           string // exported under this name when export is set
	export         bool
	params, result []byte
	locals         []byte // types of the locals after the parameters
	code           bytes.Buffer
	depth          int // open blocks, to check that every one is closed
}

func newFn(name string, params ...byte) *fn {
	return &fn{name: name, params: params}
}

// param returns the i-th parameter.
func (f *fn) param(i int) local { return local(i) }

// local adds a local of type t.
func (f *fn) local(t byte) local {
	f.locals = append(f.locals, t)
	return local(len(f.params) + len(f.locals) - 1)
}

func (f *fn) op(b ...byte) { f.code.Write(b) }

func (f *fn) simd(op uint32) {
	f.code.WriteByte(0xFD)
	uleb(&f.code, uint64(op))
}

// memarg writes an alignment (log2 bytes) and an offset.
func (f *fn) memarg(align, offset uint32) {
	uleb(&f.code, uint64(align))
	uleb(&f.code, uint64(offset))
}

func (f *fn) get(l local)  { f.op(opLocalGet); uleb(&f.code, uint64(l)) }
func (f *fn) set(l local)  { f.op(opLocalSet); uleb(&f.code, uint64(l)) }
func (f *fn) tee(l local)  { f.op(opLocalTee); uleb(&f.code, uint64(l)) }
func (f *fn) i32c(v int32) { f.op(opI32Const); sleb(&f.code, int64(v)) }
func (f *fn) f32c(v float32) {
	f.op(opF32Const)
	b := math.Float32bits(v)
	f.op(byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
}
func (f *fn) call(g int)     { f.op(opCall); uleb(&f.code, uint64(g)) }
func (f *fn) br(depth int)   { f.op(opBr); uleb(&f.code, uint64(depth)) }
func (f *fn) brIf(depth int) { f.op(opBrIf); uleb(&f.code, uint64(depth)) }

// Memory access. Go aligns float32 slices to 4 bytes, so that is the
// alignment every access promises; offsets are in bytes.
func (f *fn) f32load(off uint32)   { f.op(opF32Load); f.memarg(2, off) }
func (f *fn) f32store(off uint32)  { f.op(opF32Store); f.memarg(2, off) }
func (f *fn) v128load(off uint32)  { f.simd(simdLoad); f.memarg(2, off) }
func (f *fn) v128store(off uint32) { f.simd(simdStore); f.memarg(2, off) }
func (f *fn) loadSplat(off uint32) { f.simd(simdLoad32Splt); f.memarg(2, off) }
func (f *fn) v128zero()            { f.simd(simdConst); f.op(make([]byte, 16)...) }
func (f *fn) shuffle(lanes [4]byte) { // f32 lanes 0-3 of the first operand, 4-7 of the second
	f.simd(simdShuffle)
	for _, l := range lanes {
		f.op(4*l, 4*l+1, 4*l+2, 4*l+3)
	}
}

// Structured control. Every opener is closed by end.
func (f *fn) block()                { f.op(opBlock, 0x40); f.depth++ }
func (f *fn) loop()                 { f.op(opLoop, 0x40); f.depth++ }
func (f *fn) ifThen()               { f.op(opIf, 0x40); f.depth++ }
func (f *fn) orElse()               { f.op(opElse) }
func (f *fn) end()                  { f.op(opEnd); f.depth-- }
func (f *fn) addI(l local, v int32) { f.get(l); f.i32c(v); f.op(opI32Add); f.set(l) }

// addL adds local d to local l.
func (f *fn) addL(l, d local) { f.get(l); f.get(d); f.op(opI32Add); f.set(l) }

// forUp runs body for i = from; i < limit; i += step, where limit is
// computed by the code lim pushes (re-evaluated every iteration) and
// from is pushed by start.
func (f *fn) forUp(i local, start func(), lim func(), step int32, body func()) {
	start()
	f.set(i)
	f.block()
	f.loop()
	f.get(i)
	lim()
	f.op(opI32GeS)
	f.brIf(1)
	body()
	f.addI(i, step)
	f.br(0)
	f.end()
	f.end()
}

// doWhile runs body, then decrements n and repeats while it is not zero:
// for loops that run at least once, with the fewest instructions.
func (f *fn) doWhile(n local, body func()) {
	f.loop()
	body()
	f.get(n)
	f.i32c(1)
	f.op(opI32Sub)
	f.tee(n)
	f.brIf(0)
	f.end()
}

// module is a set of functions over one imported memory, env.mem.
type module struct{ fns []*fn }

// add appends f and returns its function index.
func (m *module) add(f *fn) int {
	m.fns = append(m.fns, f)
	return len(m.fns) - 1
}

func section(w *bytes.Buffer, id byte, body *bytes.Buffer) {
	w.WriteByte(id)
	uleb(w, uint64(body.Len()))
	w.Write(body.Bytes())
}

func name(w *bytes.Buffer, s string) {
	uleb(w, uint64(len(s)))
	w.WriteString(s)
}

// encode writes the binary module. Every function gets its own type
// entry: duplicates are legal and keep the encoder simple.
func (m *module) encode() []byte {
	var out, s bytes.Buffer
	out.Write([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})

	uleb(&s, uint64(len(m.fns))) // type section
	for _, f := range m.fns {
		s.WriteByte(0x60)
		uleb(&s, uint64(len(f.params)))
		s.Write(f.params)
		uleb(&s, uint64(len(f.result)))
		s.Write(f.result)
	}
	section(&out, 1, &s)

	s.Reset() // import section: the memory of the Go program
	uleb(&s, 1)
	name(&s, "env")
	name(&s, "mem")
	s.Write([]byte{0x02, 0x00, 0x00}) // memory, limits without maximum, minimum 0 pages
	section(&out, 2, &s)

	s.Reset() // function section
	uleb(&s, uint64(len(m.fns)))
	for i := range m.fns {
		uleb(&s, uint64(i))
	}
	section(&out, 3, &s)

	s.Reset() // export section
	var exports []int
	for i, f := range m.fns {
		if f.export {
			exports = append(exports, i)
		}
	}
	uleb(&s, uint64(len(exports)))
	for _, i := range exports {
		name(&s, m.fns[i].name)
		s.WriteByte(0x00)
		uleb(&s, uint64(i))
	}
	section(&out, 7, &s)

	s.Reset() // code section
	uleb(&s, uint64(len(m.fns)))
	for _, f := range m.fns {
		if f.depth != 0 {
			panic(f.name + ": unbalanced blocks")
		}
		var body bytes.Buffer
		// Locals, run-length encoded by type.
		var runs [][2]int
		for _, t := range f.locals {
			if n := len(runs); n > 0 && runs[n-1][1] == int(t) {
				runs[n-1][0]++
				continue
			}
			runs = append(runs, [2]int{1, int(t)})
		}
		uleb(&body, uint64(len(runs)))
		for _, r := range runs {
			uleb(&body, uint64(r[0]))
			body.WriteByte(byte(r[1]))
		}
		body.Write(f.code.Bytes())
		body.WriteByte(opEnd)
		uleb(&s, uint64(body.Len()))
		s.Write(body.Bytes())
	}
	section(&out, 10, &s)
	return out.Bytes()
}
