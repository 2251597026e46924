"""The NAS-Bench-201 supernet in PyTorch, written from shared/docs/PADA.md §2.

Its state_dict() keys match the PA&DA reference implementation's
Supernet201 (for example `cells.0.edges.1<-0.3.op.1.weight`), so a Go
export loads with load_state_dict(strict=True). Used only to check the Go
engine (parity.py) and to time PyTorch (speed.py).
"""
import torch
import torch.nn as nn

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]


def bn(c):
    return nn.BatchNorm2d(c, affine=False, track_running_stats=False)


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=True),
            bn(cout),
        )

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x):
        return x


class AvgPool3(nn.Module):
    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.op(x)


def edge_ops(c):
    return nn.ModuleList([Zero(), Identity(), ReLUConvBN(c, c, 1, 1), ReLUConvBN(c, c, 3, 1), AvgPool3()])


class Cell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.edges = nn.ModuleDict({"%d<-%d" % e: edge_ops(c) for e in EDGES})

    def forward(self, x, arch):
        nodes = [x]
        for i in range(1, 4):
            acc = None
            for e, (to, frm) in enumerate(EDGES):
                if to != i:
                    continue
                y = self.edges["%d<-%d" % (to, frm)][arch[e]](nodes[frm])
                acc = y if acc is None else acc + y
            nodes.append(acc)
        return nodes[3]


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2)
        self.conv_b = ReLUConvBN(cout, cout, 3, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Supernet201(nn.Module):
    def __init__(self, C, N, num_classes, in_channels=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), bn(C))
        cells, c = [], C
        for stage in range(3):
            if stage > 0:
                cells.append(ResBlock(c, 2 * c))
                c *= 2
            cells += [Cell(c) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(bn(c), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x, arch):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x, arch) if isinstance(cell, Cell) else cell(x)
        x = self.global_pooling(self.lastact(x))
        return self.classifier(x.flatten(1))


def from_state_dict(sd):
    """Builds the supernet whose shape the state_dict's keys and shapes imply."""
    C, in_channels = sd["stem.0.weight"].shape[:2]
    n_cells = len({k.split(".")[1] for k in sd if k.startswith("cells.")})
    N = (n_cells - 2) // 3
    num_classes = sd["classifier.weight"].shape[0]
    return Supernet201(int(C), N, int(num_classes), int(in_channels))
