#!/usr/bin/python3
"""PyTorch's perplexity of a TorchScript language model on a RoundLab token file: a check, outside
RoundLab, that an exported model (roundlab-cli quantize --export-torchscript) scores as RoundLab says.

  /usr/bin/python3 tools/lm_perplexity.py MODEL.pt TOKENS.h5 [--batch 32]

Reads /inputs (token ids N x T) and /labels when present (else each position's next input, the
last position not scored, as RoundLab does); prints one JSON line: tokens, loss (nats per token),
perplexity, token_top1 (%). One thread, float32 logits, losses summed in float64.
"""
import argparse
import json
import os
import sys

import h5py
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from char_gpt import figures, lm_metrics, shifted_labels  # noqa: E402


def logits_of(out, choice):
    """The output RoundLab would use: the tensor, a tuple's element, or a dict's entry."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)):
        return out[int(choice or 0)]
    return out[choice or "logits"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("tokens")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--model-output", default="",
                    help="for a model returning a tuple or dict: the index or key of the logits "
                         "(default: the first, or \"logits\"), as RoundLab's --model-output")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = torch.jit.load(a.model, map_location="cpu").eval()
    with h5py.File(a.tokens, "r") as f:
        inputs = torch.from_numpy(f["inputs"][...].astype("int64"))
        labels = torch.from_numpy(f["labels"][...].astype("int64")) if "labels" in f else shifted_labels(inputs)
    total = [0, 0.0, 0]
    with torch.no_grad():
        for b in range(0, inputs.size(0), a.batch):
            n, ce, correct = lm_metrics(logits_of(model(inputs[b:b + a.batch]), a.model_output),
                                        labels[b:b + a.batch])
            total = [total[0] + n, total[1] + ce, total[2] + correct]
    print(json.dumps(figures(*total)))


if __name__ == "__main__":
    main()
