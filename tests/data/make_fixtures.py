#!/usr/bin/python3
"""Makes the small TorchScript fixtures RoundLab's tests load (random weights, fixed seed).

  /usr/bin/python3 tests/data/make_fixtures.py

The .pt files are committed, so the tests need no Python; rerun this only to change them.
"""
import os
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(OUT, "..", "..", "tools"))
from train_demo_models import BasicBlock  # noqa: E402  (same block as the demo ResNet)


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 8, 1))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, 2))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.expand = nn.Conv2d(c, h, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(h)
        self.depthwise = nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False)
        self.bn2 = nn.BatchNorm2d(h)
        self.project = nn.Conv2d(h, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu6(self.bn1(self.expand(x)))
        y = F.relu6(self.bn2(self.depthwise(y)))
        return x + self.bn3(self.project(y))


class DepthwiseNet(nn.Module):
    """MobileNet-style: stem, inverted residual with a depthwise conv, a grouped conv
    (groups=2, dilation 2), a Conv1d over rows, linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, 2, 1)
        self.block = InvertedResidual(8, 4)
        self.grouped = nn.Conv2d(8, 8, 3, 1, 2, dilation=2, groups=2)
        self.rows = nn.Conv1d(8 * 14, 16, 3, padding=1)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.grouped(self.block(F.relu(self.stem(x)))))
        n, c, h, w = x.shape
        x = self.rows(x.permute(0, 1, 2, 3).reshape(n, c * h, w))
        return self.head(x.mean(2))


class BranchyMLP(nn.Module):
    """Linear-only MLP with a data-dependent branch and a layer called twice."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.shared = nn.Linear(64, 64)
        self.pos = nn.Linear(64, 32)
        self.neg = nn.Linear(64, 32)
        self.fc_out = nn.Linear(32, 10)

    def forward(self, x):
        h = F.relu(self.fc1(torch.flatten(x, 1)))
        h = F.relu(self.shared(h))
        h = F.relu(self.shared(h))
        if bool(h.mean() > 0.1):
            h = self.pos(h)
        else:
            h = self.neg(h)
        return self.fc_out(F.relu(h))


class AttentionNet(nn.Module):
    """Patch embedding + a transformer encoder layer (nn.MultiheadAttention inside) + a bare
    nn.MultiheadAttention + linear head."""

    def __init__(self, dim=32):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, 7, 7)
        self.encoder = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.0, batch_first=True)
        self.attn = nn.MultiheadAttention(dim, 2, batch_first=True)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = self.encoder(x)
        a, _ = self.attn(x, x, x, need_weights=False)
        return self.head((x + a).mean(1))


class NoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(28)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.norm(x) * self.scale


def save(name, model, example=None):
    model.eval()
    if example is None:
        m = torch.jit.script(model)
    else:
        m = torch.jit.trace(model, example, check_trace=False)
    m.save(os.path.join(OUT, name))
    print("wrote", name)


def main():
    torch.manual_seed(7)
    x = torch.randn(4, 1, 28, 28)
    res = TinyResNet()
    # Non-trivial BN statistics so folding bugs would show.
    for m in res.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    save("resnet_scripted.pt", res)
    save("resnet_traced.pt", res, x)
    save("depthwise_scripted.pt", DepthwiseNet())
    save("depthwise_traced.pt", DepthwiseNet(), x)
    save("mlp_scripted.pt", BranchyMLP())
    attn = AttentionNet()
    save("attention_scripted.pt", attn)
    with torch.enable_grad():
        save("attention_traced.pt", attn, x)
    save("no_layers.pt", NoLayers())
    with open(os.path.join(OUT, "not_a_model.pt"), "wb") as f:
        f.write(b"PK\x03\x04 this is not a TorchScript archive\n" * 4)


if __name__ == "__main__":
    main()
