"""Checks a Go export against PyTorch: logits and every gradient.

usage: parity.py EXPORT.npz [--tol 1e-4] [-v]

Loads the state_dict part of the .npz into supernet201.Supernet201, runs
the probe batch through the probe architecture (train mode, batch
statistics), takes the mean cross-entropy's gradient, and compares with the
Go values stored beside it, twice:

- against PyTorch in float32, the same arithmetic as Go;
- against PyTorch in float64, the exact answer for these weights.

The logits must be within --tol of PyTorch float32. Gradients of the early
layers of a deep BatchNorm network are ill-conditioned in float32 whoever
computes them (a rounding that flips a ReLU near 0 or lands in a
near-constant channel moves them; PyTorch's own float32 is up to a few
percent off on some probes), and a conv bias before BatchNorm has an exact
gradient of 0. So the bar for gradients is "within --tol, or no worse than
PyTorch float32 is": the whole gradient (all parameters as one vector) must
be within max(--tol, 4 x PyTorch float32's distance) of float64, and each
tensor within --tol of PyTorch float32 or within max(--tol, 4 x PyTorch
float32's distance for that tensor, 4 x its whole-gradient distance) of
float64.

A conv bias followed by BatchNorm has an exact gradient of zero, so a
tensor's error is measured against max(its own norm, 1% of the median
tensor norm). Prints one JSON line; exits 1 on failure.
"""
import argparse
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

from supernet201 import from_state_dict


def reference(sd, x, y, arch, dtype):
    model = from_state_dict(sd)
    model.load_state_dict(sd, strict=True)
    model = model.to(dtype).train()
    logits = model(x.to(dtype), arch)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    grads = {}
    for name, p in model.named_parameters():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        grads[name] = g.detach().double().numpy()
    return float(loss), logits.detach().double().numpy(), grads


def rel(a, b, floor=0.0):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), floor, 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("npz")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("-v", "--verbose", action="store_true", help="list the worst tensors")
    args = ap.parse_args()
    z = np.load(args.npz)
    sd = {k: torch.from_numpy(z[k]) for k in z.files if not k.startswith(("probe/", "grad/"))}
    x = torch.from_numpy(z["probe/input"])
    y = torch.from_numpy(z["probe/target"]).long()
    arch = [int(v) for v in z["probe/arch"]]
    loss64, logits64, g64 = reference(sd, x, y, arch, torch.float64)
    _, logits32, g32 = reference(sd, x, y, arch, torch.float32)

    go_logits = z["probe/logits"].astype(np.float64)
    norms = [np.linalg.norm(g) for g in g64.values() if np.linalg.norm(g) > 0]
    floor = 1e-2 * (float(np.median(norms)) if norms else 1.0)
    missing = [n for n in g64 if "grad/" + n not in z.files]
    rows = []
    for name in g64:
        if name in missing:
            continue
        go = z["grad/" + name].astype(np.float64)
        e32 = rel(go, g32[name], floor)
        e64 = rel(go, g64[name], floor)
        t64 = rel(g32[name], g64[name], floor)
        rows.append((e32, e64, t64, name))
    worst32 = max(rows) if rows else (0, 0, 0, "")
    names = [n for n in g64 if n not in missing]
    flat = lambda d: np.concatenate([d[n].ravel() for n in names])
    go_all = np.concatenate([z["grad/" + n].astype(np.float64).ravel() for n in names])
    global64 = rel(go_all, flat(g64))
    torch_global = rel(flat(g32), flat(g64))
    bad = [r for r in rows if r[0] > args.tol and r[1] > max(args.tol, 4 * r[2], 4 * torch_global)]
    report = {
        "arch": arch, "loss": loss64,
        "logits_rel": rel(go_logits, logits32), "logits_rel_f64": rel(go_logits, logits64),
        "grad_rel": worst32[0], "grad_worst": worst32[3],
        "grad_rel_f64": max((r[1] for r in rows), default=0), "torch_f32_rel_f64": max((r[2] for r in rows), default=0),
        "grads": len(g64), "missing": missing, "failed": ["%s (%.2g vs f64; PyTorch f32 %.2g)" % (r[3], r[1], r[2]) for r in bad],
        "global_rel_f64": global64, "torch_global_rel_f64": torch_global,
    }
    report["ok"] = (report["logits_rel"] <= args.tol and global64 <= max(args.tol, 4 * torch_global)
                    and not missing and not bad)
    print(json.dumps(report))
    if args.verbose:
        for e32, e64, t64, name in sorted(rows)[-12:]:
            print("%-45s vs f32 %.2e   vs f64 %.2e   torch f32 vs f64 %.2e" % (name, e32, e64, t64), file=sys.stderr)
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
