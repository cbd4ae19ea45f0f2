#!/usr/bin/python3
"""Trains RoundLab's bundled byte-level demo language model and saves it as TorchScript.

The model is tools/char_gpt.py's GPT (nanoGPT layout): vocabulary 256 (token = byte), context
128, 4 layers, 4 heads, width 128, untied lm_head; about 0.88 M parameters. It is trained on the
bytes of every fortune file in /usr/share/games/fortunes (Debian's fortunes-min and whatever
other fortune packages are installed; *.dat, *.u8 and `literature` are skipped) and validated on
`literature`, which it never sees: all non-overlapping 128-byte windows (windows of 129 bytes at
stride 128: inputs = the first 128, labels = the last 128), reporting mean cross-entropy (nats),
perplexity and next-byte top-1. Writes resources/demo/fortunes_gpt.pt (torch.jit.script).

  /usr/bin/python3 tools/train_char_gpt.py [--steps N] [--seed S] [--out PATH] [--val-h5 FILE.h5]

Without --steps it first times a few training steps and picks the step count that fits
--budget-min minutes (25) on this machine; the choice is printed, and the summary's command
repeats it as --steps N so the run can be reproduced exactly. Deterministic for a given step
count: fixed seed, one thread. --val-h5 also scores a RoundLab token file (/inputs, optional
/labels; without /labels the next input is the label and the last position of a row is not
scored). The JSON printed at the end is for resources/demo/demo.json.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from char_gpt import GPT, figures, lm_metrics, shifted_labels, text_bytes, windows  # noqa: E402

FORTUNES = "/usr/share/games/fortunes"
HELD_OUT = "literature"
ARCH = dict(vocab=256, block_size=128, n_layer=4, n_head=4, n_embd=128, tied=False)
T = ARCH["block_size"]
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "demo",
                           "fortunes_gpt.pt")


def corpus_files():
    files = []
    for name in sorted(os.listdir(FORTUNES)):
        path = os.path.join(FORTUNES, name)
        if name.endswith((".dat", ".u8")) or name == HELD_OUT:
            continue
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        files.append(path)
    return files


def make_optimizer(model, lr, steps, warmup):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, steps - warmup)))))
    return opt, sched


def batch_of(ids, batch, g):
    start = torch.randint(0, ids.numel() - T - 1, (batch,), generator=g)
    chunk = torch.stack([ids[s:s + T + 1] for s in start.tolist()])
    return chunk[:, :-1], chunk[:, 1:]


def train_step(model, opt, sched, x, y):
    logits = model(x)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    return loss.item()


def seconds_per_step(ids, batch, lr, timed=6):
    """Times training steps on a throwaway model (own seeds: the real run is not affected)."""
    torch.manual_seed(12345)
    model = GPT(**ARCH)
    opt, sched = make_optimizer(model, lr, 100, 10)
    g = torch.Generator().manual_seed(12345)
    model.train()
    for i in range(2 + timed):
        if i == 2:
            t0 = time.time()
        train_step(model, opt, sched, *batch_of(ids, batch, g))
    return (time.time() - t0) / timed


def evaluate(model, inputs, labels, batch=32):
    """figures() over all rows; labels -100 are not scored."""
    tokens, ce, correct = 0, 0.0, 0
    with torch.no_grad():
        for i in range(0, len(inputs), batch):
            n, c, k = lm_metrics(model(inputs[i:i + batch].to(torch.int64)), labels[i:i + batch])
            tokens, ce, correct = tokens + n, ce + c, correct + k
    return figures(tokens, ce, correct)


def read_token_file(path):
    import h5py
    with h5py.File(path, "r") as f:
        inputs = torch.from_numpy(f["inputs"][()]).to(torch.int64)
        labels = torch.from_numpy(f["labels"][()]).to(torch.int64) if "labels" in f else None
    if inputs.dim() != 2 or inputs.size(1) > T:
        raise SystemExit(f"{path}: /inputs must be N x L with L <= {T}, found {list(inputs.shape)}")
    return inputs, (shifted_labels(inputs) if labels is None else labels), labels is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=None, help="training steps (default: fit --budget-min)")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--val-h5", default=None, help="also evaluate on this RoundLab token file")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--budget-min", type=float, default=25.0,
                    help="minutes the whole run may take when --steps is not given")
    args = ap.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript writes a module's constants in set order: a fixed hash seed keeps the .pt
        # byte-for-byte the same from run to run.
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    torch.set_num_threads(1)
    t_start = time.time()

    files = corpus_files()
    ids = text_bytes(files)
    val = windows(text_bytes([os.path.join(FORTUNES, HELD_OUT)]), T + 1, stride=T)
    val_x, val_y = val[:, :T].contiguous(), val[:, 1:].contiguous()
    print(f"training text: {len(files)} files in {FORTUNES}, {ids.numel()} bytes; validation: "
          f"{HELD_OUT}, {len(val)} windows of {T} (+1) bytes", flush=True)

    sps = seconds_per_step(ids, args.batch, args.lr)
    eval_s = sps * 0.5 * len(val) * T / (args.batch * T)  # a forward pass is about 1/3 of a step
    if args.steps is None:
        spent = time.time() - t_start
        evals = 7  # five during training, the final one and the reloaded model's
        usable = 0.92 * args.budget_min * 60 - spent - evals * eval_s - 20
        steps = max(100, int(usable / sps) // 50 * 50)
        print(f"timing: {sps:.3f} s per step (batch {args.batch} x {T}); chose {steps} steps to fit "
              f"{args.budget_min:g} min (about {steps * sps / 60:.1f} min of training)", flush=True)
    else:
        steps = args.steps
        print(f"timing: {sps:.3f} s per step (batch {args.batch} x {T}); {steps} steps as asked "
              f"(about {steps * sps / 60:.1f} min)", flush=True)

    torch.manual_seed(args.seed)
    model = GPT(**ARCH)
    params = sum(p.numel() for p in model.parameters())
    print(f"GPT {ARCH}: {params} parameters, seed {args.seed}", flush=True)
    warmup = min(200, max(1, steps // 20))
    opt, sched = make_optimizer(model, args.lr, steps, warmup)
    g = torch.Generator().manual_seed(args.seed)
    t_train = time.time()
    running = None
    for step in range(steps):
        model.train()
        loss = train_step(model, opt, sched, *batch_of(ids, args.batch, g))
        running = loss if running is None else 0.98 * running + 0.02 * loss
        if (step + 1) % 100 == 0 or step == 0:
            el = time.time() - t_train
            print(f"step {step + 1}/{steps} loss {loss:.3f} (avg {running:.3f}) lr "
                  f"{sched.get_last_lr()[0]:.2e} {el:.0f} s ({el / (step + 1):.3f} s/step)", flush=True)
        if (step + 1) % max(1, steps // 5) == 0 and step + 1 < steps:
            model.eval()
            f = evaluate(model, val_x, val_y)
            print(f"  validation: loss {f['loss']:.4f} ppl {f['perplexity']:.3f} top-1 "
                  f"{f['token_top1']:.2f}%", flush=True)
    train_s = time.time() - t_train
    model.eval()
    final = evaluate(model, val_x, val_y)

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with torch.no_grad():
        torch.jit.script(model).save(out)
    loaded = torch.jit.load(out)
    val_loaded = evaluate(loaded, val_x, val_y)
    with torch.no_grad():
        diff = (loaded(val_x[:8]) - model(val_x[:8])).abs().max().item()
    size = os.path.getsize(out)
    print(f"saved {out}: {size} bytes ({size / 2**20:.2f} MiB); max |reloaded - eager| = {diff:.3g}")
    print(f"validation on {HELD_OUT} ({val_loaded['tokens']} tokens): loss {val_loaded['loss']:.4f} nats, "
          f"perplexity {val_loaded['perplexity']:.3f}, next-byte top-1 {val_loaded['token_top1']:.2f}%",
          flush=True)
    assert abs(val_loaded["loss"] - final["loss"]) < 1e-4

    summary = {
        "architecture": "byte-level GPT (nanoGPT layout, tools/char_gpt.py): vocab 256 (token = byte), "
                        "context 128, 4 layers, 4 heads, width 128, GELU MLP 4x, pre-norm, untied lm_head; "
                        "torch.jit.script",
        "config": ARCH,
        "parameters": params,
        "file_bytes": size,
        "steps": steps,
        "seed": args.seed,
        "optimizer": f"AdamW lr {args.lr:g} (betas 0.9, 0.99), warm-up {warmup} steps then cosine to 10%, "
                     f"wd 0.1 on matrices, clip 1.0, batch {args.batch} random windows of {T + 1} bytes",
        "training_text": f"{len(files)} files of {FORTUNES} except {HELD_OUT}, *.dat, *.u8 "
                         f"({ids.numel()} bytes)",
        "training_files": [os.path.basename(p) for p in files],
        "seconds_per_step": round(sps, 4),
        "training_seconds": round(train_s, 1),
        "command": f"/usr/bin/python3 tools/train_char_gpt.py --steps {steps} --seed {args.seed}"
                   + ("" if args.batch == 32 else f" --batch {args.batch}")
                   + ("" if args.lr == 2e-3 else f" --lr {args.lr:g}"),
        "validation": {"file": os.path.join(FORTUNES, HELD_OUT),
                       "windows": len(val), "window": f"{T + 1} bytes at stride {T}: inputs = first {T}, "
                                                      f"labels = last {T}",
                       **val_loaded},
    }
    if args.val_h5:
        x, y, labelled = read_token_file(args.val_h5)
        f = evaluate(loaded, x, y)
        print(f"{args.val_h5} ({'labels' if labelled else 'no labels: shifted inputs'}, {f['tokens']} tokens): "
              f"loss {f['loss']:.4f} nats, perplexity {f['perplexity']:.3f}, top-1 {f['token_top1']:.2f}%")
        summary["val_h5"] = {"file": args.val_h5, "labelled": labelled, **f}
    print(json.dumps(summary, indent=1, sort_keys=True))
    print(f"total {time.time() - t_start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
