#!/usr/bin/env python3
"""The design-space study's tables as docs/best-practices.md shows them.

    bench/study_table.py OUT_DIR SETTING MODEL...     e.g. study W3A32 fmnist_resnet fmnist_transformer

Reads OUT_DIR/<model>-<setting>-study.txt (written by bench/design_space_study.sh) and prints one
Markdown table: each setting's top-1 % (a language model's perplexity), mean ± std over the seeds,
and its difference from the base (BRECQ, or QDrop with activation bits), in bold where it gains
(perplexity: falls) by more than twice the larger spread.
"""
import re
import sys

# The study's cells (as the experiment labels them) and their names in the docs, in the study's order.
NAMES = [("method=adaround", "layer loss (AdaRound)"), ("output-kl=0.1", "block + output KL 0.1"),
         ("block-loss=fisher", "Fisher weighting"), ("freedom=step", "+ steps"),
         ("freedom=bias", "+ steps and bias"), ("freedom=free", "free integers (offset variable)"),
         ("grid=power-learned", "power grid, learned exponent"), ("grid=power", "power grid, searched exponent"),
         ("variable=offset", "straight-through offset variable"), ("optimizer=sgd", "SGD"),
         ("select=boundary", "boundary half"), ("select=magnitude", "magnitude half"),
         ("augment=flip+crop", "flip + crop"), ("augment=noise", "noise"), ("calib-count=128", "128 images"),
         ("calib-count=256", "256 images"), ("calib-count=512", "512 images")]
ROW = re.compile(r"^(\S.*?)\s{2,}(\S.*?)\s{2,}\d+/\d+\s+([\d.]+) ± ([\d.]+)")


def parse(path):
    base, rows, lower_better = None, {}, False
    for line in open(path, encoding="utf-8"):
        lower_better = lower_better or line.startswith("axis ") and " perplexity " in line
        m = ROW.match(line)
        if not m:
            continue
        axis, setting = m.group(1), m.group(2).strip()
        value = (float(m.group(3)), float(m.group(4)))
        if axis == "loss" and setting in ("method=brecq", "method=qdrop"):
            base = value
            continue
        for key, name in NAMES:
            if key in setting.split():
                rows.setdefault(name, value)
                break
    if base is None:
        sys.exit(f"{path}: no base row (method=brecq or method=qdrop): not a study's table")
    return base, rows, lower_better


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, setting, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = {m: parse(f"{out}/{m}-{setting}-study.txt") for m in models}
    print("| setting | " + " | ".join(models) + " |")
    print("|---|" + "---|" * len(models))
    # Perplexities near 6 need a third digit.
    digits = {m: 3 if data[m][2] else 2 for m in models}
    print("| base | " + " | ".join(f"{data[m][0][0]:.{digits[m]}f} ± {data[m][0][1]:.{digits[m]}f}" for m in models)
          + " |")
    for _, name in NAMES:
        cells = []
        for m in models:
            (b, bs), rows, lower_better = data[m]
            if name not in rows:
                cells.append("—")
                continue
            mean, std = rows[name]
            d = mean - b
            n = digits[m]
            text = f"{mean:.{n}f} ± {std:.{n}f} ({d:+.{n}f})"
            gain = -d if lower_better else d
            cells.append(f"**{text}**" if gain > 2 * max(std, bs) else text)
        if any(c != "—" for c in cells):
            print(f"| {name} | " + " | ".join(cells) + " |")


main()
