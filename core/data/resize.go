package data

// Resize returns s scaled to h rows and w columns by area averaging (a box
// filter): each output pixel is the mean of the source pixels under it,
// each weighted by the exact fraction of it that the output pixel covers,
// rounded half up. 28 -> 16 maps each output pixel onto 1.75 source pixels
// a side. The arithmetic is in integers, so the result is the same on every
// platform. Enlarging works too (each output pixel then takes the mean of
// the one or two source pixels it straddles). Labels are copied.
//
// It panics if h or w is less than 1.
func Resize(s *Set, h, w int) *Set {
	if h < 1 || w < 1 {
		panic("data: Resize to a non-positive size")
	}
	ys, xs := boxWeights(s.H, h), boxWeights(s.W, w)
	// Each axis' weights add up to its source length, so the weights of one
	// output pixel add up to s.H*s.W.
	den := uint64(s.H) * uint64(s.W)
	out := &Set{Name: s.Name, N: s.N, C: s.C, H: h, W: w, Classes: s.Classes,
		Pixels: make([]uint8, s.N*s.C*h*w), Labels: append([]uint8(nil), s.Labels...)}
	planes := s.N * s.C
	for p := range planes {
		src := s.Pixels[p*s.H*s.W : (p+1)*s.H*s.W]
		dst := out.Pixels[p*h*w : (p+1)*h*w]
		for oy, ry := range ys {
			for ox, rx := range xs {
				var sum uint64
				for _, wy := range ry {
					row := src[wy.at*s.W:]
					for _, wx := range rx {
						sum += wy.w * wx.w * uint64(row[wx.at])
					}
				}
				dst[oy*w+ox] = uint8((2*sum + den) / (2 * den))
			}
		}
	}
	return out
}

type boxWeight struct {
	at int    // source pixel
	w  uint64 // overlap with the output pixel
}

// boxWeights lists, for each of out output pixels along an axis of in
// source pixels, the source pixels it overlaps and by how much. Measured in
// units of 1/(in*out) of the axis, source pixel i spans [i*out, (i+1)*out)
// and output pixel o spans [o*in, (o+1)*in), so overlaps are integers and
// each output pixel's weights add up to in.
func boxWeights(in, out int) [][]boxWeight {
	ws := make([][]boxWeight, out)
	for o := range ws {
		lo, hi := o*in, (o+1)*in
		for i := lo / out; i*out < hi; i++ {
			a, b := max(lo, i*out), min(hi, (i+1)*out)
			if b > a {
				ws[o] = append(ws[o], boxWeight{i, uint64(b - a)})
			}
		}
	}
	return ws
}
