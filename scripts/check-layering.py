#!/usr/bin/env python3
"""RoundLab's layering rules, checked over the source tree (CI runs this; so can anyone):

1. engine/ is plain C++ over LibTorch and HDF5: no Qt include.
2. app/ and widgets/ never see Torch: no torch/, ATen/ or c10/ include, directly or through an
   engine header that includes one (they go through engine/workspace/Workspace.h and the
   Torch-free value headers).
3. engine/'s folders depend one way: a file may include its own folder and the folders listed
   before it in ENGINE_ORDER, never one after it (so no folder loops).

Prints one line per offending include, naming the file, and exits 1; prints nothing and exits 0
when the tree follows the rules."""
import os
import re
import sys

ENGINE_ORDER = ["core", "io", "data", "quant", "activation", "model", "capture", "eval", "importance",
                "rounding", "recon", "pipeline", "session", "export", "workspace"]
SOURCE_EXT = (".h", ".cpp", ".inl")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)
TORCH = re.compile(r"^(torch|ATen|c10)/")


def sources(root, folder):
    for base, _, files in os.walk(os.path.join(root, folder)):
        for f in sorted(files):
            if f.endswith(SOURCE_EXT):
                path = os.path.join(base, f)
                yield os.path.relpath(path, root)


def includes(root, path, cache={}):
    if path not in cache:
        try:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                cache[path] = INCLUDE.findall(f.read())
        except OSError:
            cache[path] = []
    return cache[path]


def torch_chain(root, header, seen=None):
    """The include chain by which an engine header reaches Torch, or None."""
    seen = set() if seen is None else seen
    if header in seen:
        return None
    seen.add(header)
    for inc in includes(root, header):
        if TORCH.match(inc):
            return [header, inc]
        if inc.startswith("engine/"):
            chain = torch_chain(root, inc, seen)
            if chain:
                return [header] + chain
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    problems = []
    for path in sources(root, "engine"):
        for inc in includes(root, path):
            if re.match(r"Q[A-Za-z]", inc) or inc.startswith("Qt"):
                problems.append(f"{path}: includes <{inc}>: engine/ must not use Qt")
            if inc.startswith("engine/"):
                own = path.split("/")[1] if path.count("/") >= 2 else ""
                other = inc.split("/")[1] if inc.count("/") >= 2 else ""
                if own not in ENGINE_ORDER or other not in ENGINE_ORDER:
                    problems.append(f"{path}: includes {inc}: every engine file lives in one of the folders "
                                    f"{', '.join(ENGINE_ORDER)}")
                elif ENGINE_ORDER.index(other) > ENGINE_ORDER.index(own):
                    problems.append(f"{path}: includes {inc}: engine/{own} may not depend on engine/{other} "
                                    f"(folder order: {' < '.join(ENGINE_ORDER)})")
    for folder in ("app", "widgets"):
        for path in sources(root, folder):
            for inc in includes(root, path):
                if TORCH.match(inc):
                    problems.append(f"{path}: includes <{inc}>: {folder}/ must not see Torch "
                                    "(use engine/workspace/Workspace.h)")
                elif inc.startswith("engine/"):
                    chain = torch_chain(root, inc)
                    if chain:
                        problems.append(f"{path}: includes {inc}, which reaches Torch ({' -> '.join(chain)}); "
                                        f"{folder}/ must use the Torch-free engine headers")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
