#!/usr/bin/python3
"""RoundLab's language-model scale bench: a GPT-2-small-shaped decoder (about 91M parameters).

  /usr/bin/python3 bench/lm_scale.py [--cli build/app/roundlab-cli] [--dir /tmp/roundlab-lm-scale]
      [--only eval,gptq,brecq] [--iters 200] [--batch 4] [--activation-memory MIB]

Builds the model and 128 token sequences of 256 with tools/make_scale_gpt.py (once; kept in
--dir, about 370 MB, never committed), then runs roundlab-cli on them, one LibTorch thread:
info (always), eval, GPTQ W4 g128 and BRECQ W4 g128 (--iters iterations per block, batches of --batch
sequences: 4 x 256 = 1024 tokens), without --eval (the eval step measures evaluation; the random
model's perplexity means nothing). Prints one line per figure, as bench/roundlab_bench.cpp
does: `bench <what> <metric> <value> <unit>`: wall time, peak RSS of the process, the bytes its
activation cache spilled to a temporary file, and the seconds each block took. Targets (issue 17,
2-core machine): GPTQ <= 15 min, BRECQ <= 60 min, peak RSS <= 6 GB. Nothing is asserted.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def line(what, metric, value, unit):
    print(f"bench {what} {metric} {value:.4g} {unit}", flush=True)


def run(what, argv, log_dir):
    """Runs argv; returns (stdout, wall seconds, peak RSS of that process in MiB). Its progress
    (stderr) goes to LOG_DIR/WHAT.log, to follow a long run."""
    with tempfile.TemporaryFile("w+") as out, open(os.path.join(log_dir, what + ".log"), "w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)  # files: no pipe to fill
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: this process's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(f"{what} failed: {stderr.strip().splitlines()[-1] if stderr.strip() else status}")
    rss_mib = usage.ru_maxrss / 1024.0  # KiB on Linux
    line(what, "wall_s", wall, "s")
    line(what, "peak_rss", rss_mib, "MiB")
    return stdout, wall, rss_mib


def per_block(what, result, block_of):
    """Seconds per block: its layers' seconds summed (layers outside blocks by their own name)."""
    blocks = {}
    for layer in result["layers"]:
        block = block_of.get(layer["name"], layer["name"])
        blocks[block] = blocks.get(block, 0.0) + layer["seconds"]
    for block, seconds in blocks.items():
        line(f"{what}:{block}", "wall_s", seconds, "s")
    for phase, seconds in result["phases"].items():
        line(what, f"phase_{phase}_s", seconds, "s")
    line(what, "activation_spill", result.get("activation_spill_bytes", 0) / 2**20, "MiB")
    if "perplexity_quantized" in result:
        line(what, "perplexity_fp", result["perplexity_fp"], "ppl")
        line(what, "perplexity_quantized", result["perplexity_quantized"], "ppl")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "app", "roundlab-cli"))
    ap.add_argument("--dir", default="/tmp/roundlab-lm-scale")
    ap.add_argument("--only", default="eval,gptq,brecq")
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--activation-memory", type=int, default=2048,
                    help="MiB of calibration activations held in memory (roundlab-cli --activation-memory)")
    a = ap.parse_args()
    model = os.path.join(a.dir, "scale_gpt.pt")
    tokens = os.path.join(a.dir, "scale_tokens.h5")
    if not (os.path.exists(model) and os.path.exists(tokens)):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_scale_gpt.py"), a.dir], check=True,
                       stdout=subprocess.DEVNULL)
    with open(os.path.join(a.dir, "scale_gpt.json")) as f:
        info = json.load(f)
    line("scale_gpt", "parameters", info["parameters"], "count")
    line("scale_gpt", "pytorch_perplexity", info["pytorch"]["perplexity"], "ppl")
    only = a.only.split(",")
    quantize = [a.cli, "quantize", model, "--calib", tokens, "--calib-count", "128", "--wbits", "4",
                "--granularity", "group", "--group-size", "128", "--threads", "1",
                "--activation-memory", str(a.activation_memory), "--json"]
    out, _, _ = run("info", [a.cli, "info", model, "--json"], a.dir)
    summary = json.loads(out)
    line("info", "layers", len(summary["layers"]), "count")
    block_of = {layer: b["name"] for b in summary["blocks"] for layer in b["layers"]}
    if "eval" in only:
        out, wall, _ = run("eval", [a.cli, "eval", model, "--data", tokens, "--threads", "1", "--json"], a.dir)
        e = json.loads(out)
        line("eval", "perplexity", e["perplexity"], "ppl")
        line("eval", "tokens_per_s", e["tokens"] / wall, "1/s")
    if "gptq" in only:
        out, _, _ = run("gptq", quantize + ["--method", "gptq"], a.dir)
        per_block("gptq", json.loads(out), block_of)
    if "brecq" in only:
        out, _, _ = run("brecq", quantize + ["--method", "brecq", "--iters", str(a.iters), "--batch", str(a.batch)],
                            a.dir)
        per_block("brecq", json.loads(out), block_of)


if __name__ == "__main__":
    main()
