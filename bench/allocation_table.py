#!/usr/bin/python3
"""The mixed-precision table of docs/importance.md.

On every bundled image model, at 2.5, 3, 4 and 5 average bits, with round to nearest and with
learned rounding (the recommended method): one `roundlab-cli allocate` per cell, which quantizes
the importance-based allocation and the uniform ones within the budget, keeps one (the uniform
guard) and evaluates all of them on the same held-out images. Each line gives every candidate's
top-1 and the kept one's lead over it with the 95 % interval of that paired difference.

  /usr/bin/python3 bench/allocation_table.py [--demo resources/demo] [--out allocation-table.md]
                                             [--methods rtn,recommended] [--cli build/app/roundlab-cli]
                                             [--refine 3]

"refined" is the refinement with measured interactions (allocate --refine): the calibration loss
of the additive allocation from FP and of the refined one, on the importance's samples, and how
many rounds were kept; when it changed the allocation, which of the two the guard took (the closer
to FP with the method, by calibration KL) and the other's top-1. "alone" is the taken one's top-1.

The held-out images are the whole Fashion-MNIST test split (10000 images, from the Debian package
dataset-fashion-mnist), written once with `roundlab-cli make-calib` beside the output; the
bundled fmnist_val.h5 (2000 of them) resolves differences of about a point only.
"""
import argparse, json, os, subprocess

FMNIST = "/usr/share/datasets/fashion-mnist"
NORM = ["--mean", "0.2860", "--std", "0.3530"]
MODELS = [("fmnist_resnet", "ResNet"), ("fmnist_transformer", "transformer"), ("fmnist_mobilenet", "depthwise")]
BUDGETS = ["2.5", "3", "4", "5"]


def short(label):  # "uniform 3 bits, first and last layers at 8" -> "3+8"
    bits = label.split()[1]
    return bits + "+8" if "first and last" in label else bits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", default="resources/demo")
    ap.add_argument("--out", default="allocation-table.md")
    ap.add_argument("--methods", default="rtn,recommended")
    ap.add_argument("--cli", default=os.environ.get("ROUNDLAB_CLI", "build/app/roundlab-cli"))
    ap.add_argument("--models", default=",".join(m for m, _ in MODELS), help="file stems, e.g. fmnist_resnet")
    ap.add_argument("--budgets", default=",".join(BUDGETS))
    ap.add_argument("--refine", default="3", help="rounds of refinement with measured interactions (0: none)")
    args = ap.parse_args()
    held_out = args.out + ".test10k.h5"
    if not os.path.exists(held_out):
        subprocess.run([args.cli, "make-calib", f"{FMNIST}/t10k-images-idx3-ubyte.gz", *NORM, "-o", held_out],
                       check=True, capture_output=True)
    rows = ["| model | method | budget | refined: calibration loss | alone | kept | top-1 kept "
            "| the others: top-1 (kept − this, 95 %) | kept − best uniform |", "|---|---|---|---|---|---|---|---|---|"]
    for model, name in MODELS:
        if model not in args.models.split(","):
            continue
        for method in args.methods.split(","):
            for budget in args.budgets.split(","):
                out = subprocess.run([args.cli, "allocate", os.path.join(args.demo, model + ".pt"), "--calib",
                                      os.path.join(args.demo, "fmnist_calib.h5"), "--eval", held_out,
                                      "--budget-bits", budget, "--method", method, "--refine", args.refine, "--json"],
                                     check=True, capture_output=True, text=True).stdout
                o = json.loads(out)
                g = o["uniform_guard"]
                kept = o["top1_quantized"]
                mixed_kept = g["kept"] == "mixed"
                alone = kept if mixed_kept else g["top1_mixed"]
                # Against the best uniform allocation: 0 when the kept one is it, else the paired
                # difference to the best of the others.
                rivals = [c for c in g["uniform"] if c["label"] != g["kept"]]
                best = max(rivals, key=lambda c: c["top1_quantized"], default=None)
                if best is None or (not mixed_kept and best["top1_quantized"] <= kept):
                    versus = "0" if not mixed_kept else "none fits"
                else:
                    versus = f"{best['top1_kept_minus_this']:+.2f} ± {best['top1_kept_minus_this_ci95']:.2f}"
                others = []
                if not mixed_kept:
                    others.append(f"m: {g['top1_mixed']:.2f} ({g['top1_kept_minus_mixed']:+.2f} ± "
                                  f"{g['top1_kept_minus_mixed_ci95']:.2f})")
                for c in g["uniform"]:
                    if c["label"] != g["kept"]:
                        others.append(f"{short(c['label'])}: {c['top1_quantized']:.2f} "
                                      f"({c['top1_kept_minus_this']:+.2f} ± {c['top1_kept_minus_this_ci95']:.2f})")
                r = o.get("refinement")
                refined = (f"{r['start_loss']:.3f} → {r['refined_loss']:.3f} "
                           f"({sum(x['accepted'] for x in r['rounds'])} kept)") if r else "off"
                # Which importance-based allocation competed: with the method, the closer to FP of
                # the refined one and the one it started from (the other is set aside).
                aside = g.get("set_aside")
                if aside:
                    refined += (f"; {'unrefined' if aside['refined'] else 'refined'} taken, KL "
                                f"{g['kl_mixed']:.3f} vs {aside['kl']:.3f}, top-1 of the other {aside['top1_quantized']:.2f}")
                row = (f"| {name} | {method} | {budget} | {refined} | {alone:.2f} | "
                       f"{'m' if mixed_kept else 'u ' + short(g['kept'])} | {kept:.2f} | {', '.join(others)} | {versus} |")
                print(row, flush=True)
                rows.append(row)
    with open(args.out, "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
