package gemm

// The AVX2 path (amd64 CPUs with AVX2 and FMA): a GotoBLAS-style product
// whose micro-kernel, kernel6x16, keeps a 6×16 tile of C in twelve YMM
// registers and does 8 multiply-adds per instruction, where gonum's SSE
// kernels do 4 without fusing and load and store C on every step.
const (
	vmr = 6    // rows of a micro-tile
	vnr = 16   // columns of a micro-tile
	vkc = 256  // k block: a B micro-panel is 16 KiB, an A one 6 KiB
	vmc = 72   // rows of A packed at a time (12 micro-panels, 72 KiB)
	vnc = 2048 // columns of B packed at a time (2 MiB)
)

// useAVX sends native products to the AVX2 path where the CPU has it;
// the benchmarks turn it off to measure the gonum path in the same run.
var useAVX = hasAVX

// avxGemm is the product for m, n, k > 0 and alpha != 0 on the AVX2 path.
// C is first scaled by beta, so that every micro-tile only adds.
func avxGemm(ws *workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scale(m, n, beta, c, ldc)
	if ws.va == nil {
		ws.va = make([]float32, vmc*vkc)
		ws.vb = make([]float32, vnc*vkc)
	}
	for jc := 0; jc < n; jc += vnc {
		nb := min(vnc, n-jc)
		for pc := 0; pc < k; pc += vkc {
			kb := min(vkc, k-pc)
			packBV(ws.vb, tB, b, ldb, pc, jc, kb, nb)
			for ic := 0; ic < m; ic += vmc {
				mb := min(vmc, m-ic)
				packAV(ws.va, tA, alpha, a, lda, ic, pc, mb, kb)
				for jr := 0; jr < nb; jr += vnr {
					bp := ws.vb[jr*kb:]
					for ir := 0; ir < mb; ir += vmr {
						ap := ws.va[ir*kb:]
						ci := (ic+ir)*ldc + jc + jr
						if ir+vmr <= mb && jr+vnr <= nb {
							kernel6x16(kb, &ap[0], &bp[0], &c[ci], ldc)
							continue
						}
						// An edge tile: compute it whole into scratch,
						// then add the part inside C.
						t := &ws.vtile
						clear(t[:])
						kernel6x16(kb, &ap[0], &bp[0], &t[0], vnr)
						rows, cols := min(vmr, mb-ir), min(vnr, nb-jr)
						for i := 0; i < rows; i++ {
							dst := c[ci+i*ldc : ci+i*ldc+cols]
							for j, v := range t[i*vnr : i*vnr+cols] {
								dst[j] += v
							}
						}
					}
				}
			}
		}
	}
}

// packAV packs rows [ic, ic+mb) and steps [pc, pc+kb) of op(A), times
// alpha, as micro-panels of vmr rows: panel p holds, for each step l, the
// vmr values of its rows at l (zero past row mb).
func packAV(dst []float32, tA bool, alpha float32, a []float32, lda, ic, pc, mb, kb int) {
	for ir := 0; ir < mb; ir += vmr {
		p := dst[ir*kb : ir*kb+vmr*kb]
		rows := min(vmr, mb-ir)
		if rows < vmr {
			clear(p)
		}
		for i := 0; i < rows; i++ {
			r := ic + ir + i
			if tA { // op(A)[r][pc+l] = a[(pc+l)*lda + r]
				for l := 0; l < kb; l++ {
					p[l*vmr+i] = alpha * a[(pc+l)*lda+r]
				}
				continue
			}
			src := a[r*lda+pc : r*lda+pc+kb]
			for l, v := range src {
				p[l*vmr+i] = alpha * v
			}
		}
	}
}

// packBV packs steps [pc, pc+kb) and columns [jc, jc+nb) of op(B) as
// micro-panels of vnr columns: panel p holds, for each step l, its vnr
// values of row l (zero past column nb).
func packBV(dst []float32, tB bool, b []float32, ldb, pc, jc, kb, nb int) {
	for jr := 0; jr < nb; jr += vnr {
		p := dst[jr*kb : jr*kb+vnr*kb]
		cols := min(vnr, nb-jr)
		if tB { // op(B)[pc+l][j] = b[j*ldb + pc+l]: walk each stored row once
			if cols < vnr {
				clear(p)
			}
			for j := 0; j < cols; j++ {
				src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kb]
				for l, v := range src {
					p[l*vnr+j] = v
				}
			}
			continue
		}
		if cols == vnr {
			// An array assignment compiles to a few vector moves; copy
			// would call memmove for every 64 bytes.
			for l := 0; l < kb; l++ {
				o := (pc+l)*ldb + jc + jr
				*(*[vnr]float32)(p[l*vnr:]) = *(*[vnr]float32)(b[o : o+vnr])
			}
			continue
		}
		for l := 0; l < kb; l++ {
			row := p[l*vnr : l*vnr+vnr]
			src := b[(pc+l)*ldb+jc+jr:]
			copy(row, src[:cols])
			clear(row[cols:])
		}
	}
}
