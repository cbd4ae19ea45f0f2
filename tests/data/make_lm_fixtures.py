#!/usr/bin/python3
"""Makes RoundLab's language-model test fixtures: two tiny byte-level GPTs and token files.

  /usr/bin/python3 tests/data/make_lm_fixtures.py

Writes, in tests/data/:
- gpt_scripted.pt: torch.jit.script of tools/char_gpt.py's GPT (nanoGPT layout, nn.Linear
  projections, lm_head tied to wte), vocab 256, context 32, 2 layers, 4 heads, width 32.
- gpt2_traced.pt: torch.jit.trace of HfGPT2LMHeadModel (Hugging Face GPT-2 layout, Conv1D
  projections stored [in, out], lm_head tied to transformer.wte), same sizes, traced on [2, 32].
- lm_tokens.h5: /inputs int64 [16, 32], 16 windows of bytes of held-out text, no /labels.
- lm_tokens_labelled.h5: the same windows as /inputs int32 [16, 32], /labels int64 [16, 32] =
  the byte after each position.
- lm_fixtures.json: PyTorch's figures for every model on every token file (scored positions,
  mean cross-entropy in nats, perplexity, next-byte top-1 %), the models' projection weights and
  blocks. Unlabelled files are scored against the inputs shifted left by one, the last position
  of each row not scored.

Both models are trained briefly (300 AdamW steps) on the bytes of the fortune file `computers`
so that they do clearly better than chance (ln 256 = 5.55 nats); the token files come from
`literature`, which they never saw. Deterministic: fixed seed, one thread. The files are
committed, so the tests need no Python; rerun this only to change them.
"""
import json
import math
import os
import sys
import warnings

import h5py
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(OUT, "..", "..", "tools"))
from char_gpt import (GPT, HfGPT2LMHeadModel, figures, lm_metrics, shifted_labels,  # noqa: E402
                      text_bytes, windows)

FORTUNES = "/usr/share/games/fortunes"
TRAIN_TEXT = os.path.join(FORTUNES, "computers")
HELD_OUT_TEXT = os.path.join(FORTUNES, "literature")
SEED = 20261201
T = 32           # context of the fixture models and length of the token windows
ROWS = 16        # windows in the token files
STEPS, LR, BATCH = 300, 3e-3, 16


def train(model, ids, seed):
    """AdamW, linear warm-up then cosine decay, batches of random windows of T + 1 bytes."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.99), weight_decay=0.01)
    warm = STEPS // 10
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (s - warm) / (STEPS - warm))))
    model.train()
    for step in range(STEPS):
        start = torch.randint(0, ids.numel() - T - 1, (BATCH,), generator=g)
        chunk = torch.stack([ids[s:s + T + 1] for s in start.tolist()])
        logits = model(chunk[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), chunk[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == STEPS - 1:
            print(f"  step {step + 1}/{STEPS} loss {loss.item():.3f}", flush=True)
    model.eval()
    return model


def held_out_windows():
    """ROWS windows of T + 1 bytes of the held-out text, spread evenly over the file."""
    all_w = windows(text_bytes([HELD_OUT_TEXT]), T + 1)
    pick = [i * len(all_w) // ROWS for i in range(ROWS)]
    return all_w[pick], pick, len(all_w)


def write_tokens(path, inputs, labels, source):
    with h5py.File(path, "w") as f:
        f.create_dataset("inputs", data=inputs.numpy())
        if labels is not None:
            f.create_dataset("labels", data=labels.numpy())
        # As RoundLab writes them: one-element arrays of variable-length strings.
        vlen = h5py.string_dtype("utf-8")
        f.attrs.create("format", np.array(["roundlab-data-1"], dtype=object), dtype=vlen)
        f.attrs.create("source", np.array([source], dtype=object), dtype=vlen)
    print("wrote", os.path.basename(path), flush=True)


def read_tokens(path):
    with h5py.File(path, "r") as f:
        inputs = torch.from_numpy(f["inputs"][()])
        labels = torch.from_numpy(f["labels"][()]) if "labels" in f else None
    return inputs, labels


def projections(model):
    names = [n for n in model.state_dict()
             if n.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")) or n == "lm_head.weight"]
    return names


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript writes a module's constants in set order, which follows string hashing:
        # a fixed hash seed makes the .pt files byte-for-byte the same on every run.
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    train_ids = text_bytes([TRAIN_TEXT])

    # Token files.
    w, pick, total = held_out_windows()
    inputs, labels = w[:, :T].contiguous(), w[:, 1:].contiguous()
    src = (f"{HELD_OUT_TEXT} (fortunes-min), bytes as tokens: {ROWS} of its {total} non-overlapping "
           f"{T + 1}-byte windows (numbers {pick[0]}, {pick[1]}, ... {pick[-1]}), inputs = first {T}")
    data_files = {
        "lm_tokens.h5": (inputs.to(torch.int64), None,
                         src + ", no labels (next byte = next input)"),
        "lm_tokens_labelled.h5": (inputs.to(torch.int32), labels.to(torch.int64),
                                  src + ", labels = last " + str(T)),
    }
    for name, (x, y, s) in data_files.items():
        write_tokens(os.path.join(OUT, name), x, y, s)

    # Models.
    specs = {
        "gpt_scripted.pt": ("script", lambda: GPT(vocab=256, block_size=T, n_layer=2, n_head=4, n_embd=32,
                                                  tied=True),
                            "nanoGPT layout (nn.Linear), vocab 256, context 32, 2 layers, 4 heads, "
                            "width 32, lm_head tied to wte; torch.jit.script", ["h.0", "h.1"]),
        "gpt2_traced.pt": ("trace", lambda: HfGPT2LMHeadModel(vocab=256, n_positions=T, n_layer=2, n_head=4,
                                                              n_embd=32),
                           "Hugging Face GPT2LMHeadModel layout (Conv1D [in, out], gelu_new), vocab 256, "
                           "context 32, 2 layers, 4 heads, width 32, lm_head tied to transformer.wte; "
                           "torch.jit.trace on int64 [2, 32]", ["transformer.h.0", "transformer.h.1"]),
    }
    report = {"models": {}, "data": {}, "seed": SEED,
              "command": "/usr/bin/python3 tests/data/make_lm_fixtures.py",
              "chance_loss": math.log(256)}
    for name, (x, y, s) in data_files.items():
        report["data"][name] = {"inputs": [list(x.shape), str(x.dtype).replace("torch.", "")],
                                "labels": None if y is None else [list(y.shape), str(y.dtype).replace("torch.", "")],
                                "source": s}
    for i, (name, (how, make, arch, blocks)) in enumerate(specs.items()):
        torch.manual_seed(SEED + i)
        eager = make()
        print(f"== {name}: {sum(p.numel() for p in eager.parameters())} parameters", flush=True)
        train(eager, train_ids, SEED + 100 + i)
        with torch.no_grad():
            if how == "script":
                ts = torch.jit.script(eager)
            else:
                with warnings.catch_warnings():
                    # HF's scale float(value.size(-1)) ** 0.5 is a constant: as in HF's own traces.
                    warnings.filterwarnings("ignore", message="Converting a tensor to a Python float")
                    ts = torch.jit.trace(eager, torch.randint(0, 256, (2, T), dtype=torch.int64))
        path = os.path.join(OUT, name)
        ts.save(path)
        loaded = torch.jit.load(path)
        entry = {"architecture": arch, "parameters": sum(p.numel() for p in eager.parameters()),
                 "vocab": 256, "context": T, "layers": 2, "heads": 4, "width": 32,
                 "projections": projections(eager), "blocks": blocks,
                 "tied": (["lm_head.weight", "wte.weight"] if how == "script"
                          else ["lm_head.weight", "transformer.wte.weight"]),
                 "training": {"text": TRAIN_TEXT, "steps": STEPS, "lr": LR, "batch": BATCH, "context": T,
                              "optimizer": "AdamW (0.9, 0.99) wd 0.01, warm-up 10% then cosine to 0.1 lr, "
                                           "clip 1.0"},
                 "file_bytes": os.path.getsize(path), "data": {}}
        diff = 0.0
        with torch.no_grad():
            for dname in data_files:
                x, y = read_tokens(os.path.join(OUT, dname))
                x = x.to(torch.int64)
                out_eager = eager(x)
                out = loaded(x)
                diff = max(diff, (out - out_eager).abs().max().item())
                if not torch.equal(out, out_eager):
                    print(f"  note: {name} on {dname}: reloaded output differs from eager by "
                          f"{(out - out_eager).abs().max().item():.3g}")
                assert torch.allclose(out, out_eager, rtol=0, atol=1e-5), name
                assert out.shape == (ROWS, T, 256), out.shape
                lab = shifted_labels(x) if y is None else y
                entry["data"][dname] = figures(*lm_metrics(out, lab))
                f = entry["data"][dname]
                print(f"  {dname}: {f['tokens']} tokens, loss {f['loss']:.4f} nats, ppl {f['perplexity']:.2f}, "
                      f"top-1 {f['token_top1']:.2f}%", flush=True)
                assert f["loss"] < 0.75 * math.log(256), "the model should beat chance clearly"
            # Other batch sizes and lengths give the same as eager (the trace is not fixed to [2, 32]).
            z = torch.randint(0, 256, (3, 16), generator=torch.Generator().manual_seed(1))
            diff_other = (loaded(z) - eager(z)).abs().max().item()
            assert diff_other <= 1e-5, diff_other
        entry["max_output_abs_diff_script_vs_eager"] = diff
        assert entry["file_bytes"] < 400_000, entry["file_bytes"]
        report["models"][name] = entry
        print(f"wrote {name} ({entry['file_bytes']} bytes), max |reloaded - eager| = {diff:.3g}", flush=True)

    with open(os.path.join(OUT, "lm_fixtures.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote lm_fixtures.json")


if __name__ == "__main__":
    main()
