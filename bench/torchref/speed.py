"""Times PyTorch CPU training steps of the supernet; prints one JSON line.

usage: speed.py --shape mini|nb201 --threads N --steps S --warmup W --archs A1,A2,...

The same steps as bench/speed/worker: random data, one path per step
cycling through the given architectures, mean cross-entropy, clipping at 5,
SGD(lr 0.05, momentum 0.9, weight decay 2.5e-4).
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from supernet201 import OPS, Supernet201

SHAPES = {"mini": dict(C=8, N=1, in_channels=1, hw=16, batch=64), "nb201": dict(C=16, N=5, in_channels=3, hw=32, batch=256)}


def parse_arch(s):
    toks = [t.split("~")[0] for t in s.replace("+", "").split("|") if t]
    return [OPS.index(t) for t in toks]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="mini")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--archs", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    s = SHAPES[a.shape]
    model = Supernet201(s["C"], s["N"], 10, s["in_channels"]).train()
    opt = torch.optim.SGD(model.parameters(), 0.05, momentum=0.9, weight_decay=2.5e-4)
    x = torch.randn(s["batch"], s["in_channels"], s["hw"], s["hw"])
    y = torch.randint(0, 10, (s["batch"],))
    archs = [parse_arch(v) for v in a.archs.split(",")]
    loss = None

    def step(i):
        nonlocal loss
        opt.zero_grad()
        loss = F.cross_entropy(model(x, archs[i % len(archs)]), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5)
        opt.step()

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        step(i)
    sec = time.perf_counter() - t0
    print(json.dumps(dict(engine="pytorch", shape=a.shape, threads=a.threads, steps=a.steps, batch=s["batch"],
                          seconds=sec, images_per_sec=a.steps * s["batch"] / sec, last_loss=float(loss))))


if __name__ == "__main__":
    main()
