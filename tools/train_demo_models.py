#!/usr/bin/python3
"""Trains RoundLab's bundled demo models on Fashion-MNIST and saves them as TorchScript.

Reads Debian's dataset-fashion-mnist IDX files, trains on the 60k training split and reports
top-1 on the 10k test split. Deterministic: fixed seed, one thread. Writes
resources/demo/fmnist_resnet.pt, fmnist_transformer.pt and fmnist_mobilenet.pt (the depthwise
case of docs/best-practices.md).

  /usr/bin/python3 tools/train_demo_models.py [--model resnet|transformer|mobilenet|all] [--out DIR]

Inputs are normalised as RoundLab's calibration files describe them: x/255, then
(x - 0.2860) / 0.3530.
"""
import argparse, gzip, math, os, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def load_split(prefix):
    x = read_idx(f"{DATA}/{prefix}-images-idx3-ubyte.gz")
    y = read_idx(f"{DATA}/{prefix}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(x.copy()).float().div_(255.0).sub_(MEAN).div_(STD).unsqueeze(1)
    return x, torch.from_numpy(y.astype(np.int64))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential()
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.downsample(x))


class FmnistResNet(nn.Module):
    """Residual CNN: stem + three basic blocks (16, 32, 64 channels) + linear classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


class FmnistTransformer(nn.Module):
    """Small vision transformer: 4x4 patches, class token, two encoder layers built on
    nn.MultiheadAttention (via nn.TransformerEncoderLayer), linear head."""

    def __init__(self, dim=64, heads=4, layers=2, ff=128, patch=4):
        super().__init__()
        self.patch_embed = nn.Conv2d(1, dim, patch, patch)
        tokens = (28 // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(dim, heads, ff, dropout=0.0, batch_first=True,
                                       norm_first=True) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x[:, 0]))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expansion, 3x3 depthwise, 1x1 linear projection, ReLU6 after the
    first two; the input is added back where the shapes allow."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.expand = nn.Conv2d(cin, hidden, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.depthwise = nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False)
        self.bn2 = nn.BatchNorm2d(hidden)
        self.project = nn.Conv2d(hidden, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        out = F.relu6(self.bn1(self.expand(x)))
        out = F.relu6(self.bn2(self.depthwise(out)))
        out = self.bn3(self.project(out))
        return x + out if self.residual else out


class FmnistMobileNet(nn.Module):
    """MobileNetV2-style CNN with depthwise convolutions: stride-2 stem, five inverted residual
    blocks (16, 24, 24, 32, 32 channels; expansion 4 after the first), 1x1 head conv, linear
    classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, 2, 1, bias=False)  # 14x14 from here: a quarter of the work
        self.bn = nn.BatchNorm2d(16)
        self.features = nn.Sequential(
            InvertedResidual(16, 16, 1, 2), InvertedResidual(16, 24, 2, 4), InvertedResidual(24, 24, 1, 4),
            InvertedResidual(24, 32, 2, 4), InvertedResidual(32, 32, 1, 4))
        self.head_conv = nn.Conv2d(32, 128, 1, bias=False)
        self.head_bn = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu6(self.bn(self.stem(x)))
        x = self.features(x)
        x = F.relu6(self.head_bn(self.head_conv(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return 100.0 * correct / len(x)


def train(model, epochs, lr, batch, seed, xtr, ytr, xte, yte, weight_decay):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * math.ceil(len(xtr) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    for ep in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            xb = xtr[idx]
            # Light augmentation: random horizontal flip (clothes are left/right symmetric).
            flip = torch.rand(len(idx), generator=g) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, xte, yte)
        print(f"epoch {ep + 1}/{epochs} loss {total / len(xtr):.4f} test top-1 {acc:.2f}% "
              f"({time.time() - t0:.0f} s)", flush=True)
    return acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="all", choices=["resnet", "transformer", "mobilenet", "all"])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "resources", "demo"))
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    torch.set_num_threads(1)
    xtr, ytr = load_split("train")
    xte, yte = load_split("t10k")
    specs = {
        "resnet": (FmnistResNet, dict(epochs=5, lr=4e-3, batch=128, weight_decay=1e-4)),
        "transformer": (FmnistTransformer, dict(epochs=10, lr=2e-3, batch=128, weight_decay=5e-2)),
        "mobilenet": (FmnistMobileNet, dict(epochs=5, lr=4e-3, batch=128, weight_decay=4e-5)),
    }
    for name in (list(specs) if args.model == "all" else [args.model]):
        cls, hp = specs[name]
        torch.manual_seed(args.seed)
        model = cls()
        print(f"== {name}: {sum(p.numel() for p in model.parameters())} parameters, {hp}, "
              f"seed {args.seed}", flush=True)
        acc = train(model, seed=args.seed, xtr=xtr, ytr=ytr, xte=xte, yte=yte, **hp)
        model.eval()
        path = os.path.join(args.out, f"fmnist_{name}.pt")
        torch.jit.script(model).save(path)
        print(f"saved {path}: test top-1 {acc:.2f}%", flush=True)


if __name__ == "__main__":
    main()
