#!/usr/bin/python3
"""Builds the language-model scale bench's inputs: a GPT-2-small-shaped decoder and token files.

  /usr/bin/python3 tools/make_scale_gpt.py OUT_DIR [--layers 12] [--width 768] [--heads 12]
      [--context 256] [--vocab 8192] [--count 128] [--seed 0]

Writes, in OUT_DIR (not committed: about 370 MB at the default size):
- scale_gpt.pt: torch.jit.trace of tools/char_gpt.py's HfGPT2LMHeadModel, Hugging Face's GPT-2
  layout (Conv1D projections stored [in, out], packed c_attn, lm_head tied to wte). Random
  weights with GPT-2's initialisation (N(0, 0.02), residual projections scaled by
  1/sqrt(2 layers)); LayerNorm keeps every block's activations normalised. About 91M parameters
  at the default size (12 layers, width 768, 12 heads, context 256, vocabulary 8192).
- scale_tokens.h5: /inputs uint16 [count, context], token ids drawn uniformly at random (no
  /labels: RoundLab scores each position against the next input).
- scale_gpt.json: the sizes, the parameter count and PyTorch's mean cross-entropy on the tokens.

The weights are random, so the figures the bench prints are about time and memory, not accuracy.
Deterministic: fixed seed, one thread.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from char_gpt import HfGPT2LMHeadModel, figures, lm_metrics, shifted_labels  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--count", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)

    model = HfGPT2LMHeadModel(vocab=a.vocab, n_positions=a.context, n_layer=a.layers, n_head=a.heads,
                              n_embd=a.width).eval()
    g = torch.Generator().manual_seed(a.seed + 1)
    tokens = torch.randint(0, a.vocab, (a.count, a.context), generator=g)
    with torch.no_grad():
        traced = torch.jit.trace(model, tokens[:2])
    path = os.path.join(a.out, "scale_gpt.pt")
    traced.save(path)

    with h5py.File(os.path.join(a.out, "scale_tokens.h5"), "w") as f:
        f.create_dataset("inputs", data=tokens.numpy().astype(np.uint16 if a.vocab <= 65536 else np.int64))

    labels = shifted_labels(tokens)
    total = [0, 0.0, 0]
    with torch.no_grad():
        for b in range(0, a.count, 16):
            n, ce, correct = lm_metrics(model(tokens[b:b + 16]), labels[b:b + 16])
            total = [total[0] + n, total[1] + ce, total[2] + correct]
    params = sum(p.numel() for p in model.parameters())  # tied: wte counted once
    info = {"layers": a.layers, "width": a.width, "heads": a.heads, "context": a.context, "vocab": a.vocab,
            "sequences": a.count, "parameters": params, "seed": a.seed, "pytorch": figures(*total)}
    with open(os.path.join(a.out, "scale_gpt.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
