"""NumPy side of package npz's cross-checks; the Go tests run it.

    npcheck.py dump PATH   print the arrays of the .npz at PATH as JSON, in
                           archive order, with each entry's data offset
    npcheck.py golden DIR  write the golden files into DIR

The golden arrays here must match goldenArrays in npz_test.go.
"""

import json
import os
import sys
import zipfile

import numpy as np


def golden_arrays():
    return [
        ("w/conv.weight", (np.arange(6, dtype="<f4") * 0.25 - 0.5).reshape(2, 3)),
        ("cells.0.edges.1<-0.3.op.1.weight",
         np.array([1.5, -0.0, np.inf, -np.inf], dtype="<f4").reshape(2, 1, 1, 2)),
        ("f8", np.array([0.1, 1e300, -2.5], dtype="<f8")),
        ("i8", np.array([[-1, 2**62], [-2**63, 7]], dtype="<i8")),
        ("i4", np.array([-2**31, 0, 2**31 - 1], dtype="<i4")),
        ("u1", np.array([0, 1, 128, 255], dtype="|u1")),
        ("b1", np.array([True, False, True])),
        ("scalar", np.array(3.25, dtype="<f4")),
        ("empty", np.zeros((0, 3), dtype="<f4")),
        ("probe/input", np.arange(12, dtype="<f4").reshape(1, 3, 2, 2)),
    ]


def golden(d):
    arrays = golden_arrays()
    np.savez(os.path.join(d, "golden.npz"), **dict(arrays))
    np.savez_compressed(os.path.join(d, "golden_compressed.npz"), **dict(arrays))
    a = arrays[0][1]
    for v in [(1, 0), (2, 0), (3, 0)]:
        with open(os.path.join(d, "golden_v%d.npy" % v[0]), "wb") as f:
            np.lib.format.write_array(f, a, version=v)
    np.save(os.path.join(d, "golden_fortran.npy"), np.asfortranarray(a))
    np.save(os.path.join(d, "golden_bigendian.npy"), a.astype(">f4"))


def dump(path):
    out = []
    with np.load(path) as z, zipfile.ZipFile(path) as zf:
        for name in z.files:
            v = z[name]
            with zf.open(name + ".npy") as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    np.lib.format.read_array_header_1_0(f)
                else:
                    np.lib.format.read_array_header_2_0(f)
                offset = f.tell()
            # Floats as the signed integers with their bits, so that JSON
            # carries NaN payloads, infinities and -0 exactly.
            bits = v.view("<i%d" % v.dtype.itemsize) if v.dtype.kind == "f" else v
            out.append({
                "name": name,
                "dtype": v.dtype.str,
                "shape": list(v.shape),
                "fortran": bool(v.ndim > 1 and v.flags.f_contiguous and not v.flags.c_contiguous),
                "bits": [int(x) for x in bits.reshape(-1)],
                "offset": offset,
            })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("dump", "golden"):
        sys.exit(__doc__)
    {"dump": dump, "golden": golden}[sys.argv[1]](sys.argv[2])
