#!/usr/bin/python3
"""Builds the demo's data sets with roundlab-cli and records how every demo asset was made.

  /usr/bin/python3 tools/make_demo_data.py [--cli build/app/roundlab-cli]

Run after tools/train_demo_models.py. Writes resources/demo/fmnist_calib.h5 (1024 training
images), fmnist_val.h5 (2000 test images), and demo.json with each image model's accuracy on the
validation set and on the full 10k test split, both measured by roundlab-cli itself.
"""
import argparse, json, os, subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEMO = os.path.join(ROOT, "resources", "demo")
FMNIST = "/usr/share/datasets/fashion-mnist"
NORM = ["--mean", "0.2860", "--std", "0.3530"]
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def cli(exe, *args):
    out = subprocess.run([exe, *args, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "app", "roundlab-cli"))
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--train-log", default=None, help="training log to copy epochs/accuracy from")
    args = ap.parse_args()
    calib_cmd = ["make-calib", f"{FMNIST}/train-images-idx3-ubyte.gz", "--count", "1024", "--seed", "1", *NORM,
                 "-o", os.path.join(DEMO, "fmnist_calib.h5")]
    val_cmd = ["make-calib", f"{FMNIST}/t10k-images-idx3-ubyte.gz", "--count", "2000", "--seed", "2", *NORM,
               "-o", os.path.join(DEMO, "fmnist_val.h5")]
    cli(args.cli, *calib_cmd)
    cli(args.cli, *val_cmd)
    manifest = {
        "dataset": "Fashion-MNIST (Debian package dataset-fashion-mnist)",
        "normalisation": {"mean": [0.2860], "std": [0.3530], "note": "x/255, then (x-mean)/std"},
        "class_names": CLASSES,
        "calibration": {"file": "fmnist_calib.h5", "samples": 1024, "split": "train", "seed": 1,
                        "command": "roundlab-cli " + " ".join(calib_cmd[:-1]) + " fmnist_calib.h5"},
        "validation": {"file": "fmnist_val.h5", "samples": 2000, "split": "t10k", "seed": 2,
                       "command": "roundlab-cli " + " ".join(val_cmd[:-1]) + " fmnist_val.h5"},
        "models": {},
    }
    training = {
        "fmnist_resnet.pt": {"architecture": "residual CNN: stem conv + 3 BasicBlocks (16/32/64 ch) + linear",
                             "epochs": 5, "optimizer": "AdamW lr 4e-3 one-cycle, batch 128, wd 1e-4, h-flip"},
        "fmnist_transformer.pt": {"architecture": "ViT: 4x4 patches, dim 64, 2 nn.TransformerEncoderLayer "
                                                  "(4-head nn.MultiheadAttention, ff 128, pre-norm), linear head",
                                  "epochs": 10, "optimizer": "AdamW lr 2e-3 one-cycle, batch 128, wd 5e-2, h-flip"},
        "fmnist_mobilenet.pt": {"architecture": "MobileNetV2-style CNN: stem conv + 5 inverted residual blocks "
                                                "(1x1 expand, 3x3 depthwise, 1x1 project; 16/24/24/32/32 ch), "
                                                "1x1 head conv (128), linear",
                                "epochs": 5, "optimizer": "AdamW lr 4e-3 one-cycle, batch 128, wd 4e-5, h-flip"},
    }
    for model, info in training.items():
        path = os.path.join(DEMO, model)
        if not os.path.exists(path):  # a model not trained yet: no entry rather than no manifest
            print(f"{model}: not found, left out")
            continue
        val = cli(args.cli, "eval", path, "--data", os.path.join(DEMO, "fmnist_val.h5"))
        test = cli(args.cli, "eval", path, "--data", f"{FMNIST}/t10k-images-idx3-ubyte.gz", *NORM)
        layers = cli(args.cli, "info", path)
        manifest["models"][model] = {
            **info,
            "seed": args.seed,
            "command": f"/usr/bin/python3 tools/train_demo_models.py --model {model[7:-3]} --seed {args.seed}",
            "parameters": layers["total_params"],
            "quantizable_layers": len(layers["layers"]),
            "val_samples": val["samples"], "val_correct": val["correct"], "val_top1": round(val["top1"], 4),
            "test_samples": test["samples"], "test_top1": round(test["top1"], 4),
        }
        print(f"{model}: val {val['top1']:.2f}% test {test['top1']:.2f}%")
    # The character GPT's entry is written by hand from tools/train_char_gpt.py's summary: kept.
    previous = os.path.join(DEMO, "demo.json")
    if os.path.exists(previous):
        with open(previous) as f:
            kept = json.load(f).get("language_model")
        if kept:
            manifest["language_model"] = kept
    with open(os.path.join(DEMO, "demo.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
