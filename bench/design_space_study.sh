#!/bin/sh
# The design-space study of docs/best-practices.md, three seeds per cell: the founding paper's study
# (each axis alone around BRECQ at W2A32 and QDrop at W2A4, 100 iterations per unit) and the
# iteration count as an axis (BRECQ/QDrop against the recommended method at 100/300/1000/2000),
# on both bundled image models. Accuracies do not depend on the machine's load, wall times do.
#
#   bench/design_space_study.sh [DEMO_DIR] [OUT_DIR]     (about two hours on one core)
#
# Each experiment writes its table (per setting mean ± std over the seeds) to
# OUT_DIR/<model>-<setting>-<what>.txt. ROUNDLAB_CLI names the CLI (default build/app/roundlab-cli).
set -eu
cli=${ROUNDLAB_CLI:-build/app/roundlab-cli}
demo=${1:-resources/demo}
out=${2:-study}
seeds=0,1,2
mkdir -p "$out"

run() {  # NAME MODEL ARGS...: one experiment and its table
  name=$1
  model=$2
  shift 2
  set -- "$demo/$model.pt" --calib "$demo/fmnist_calib.h5" --eval "$demo/fmnist_val.h5" --seeds "$seeds" "$@"
  echo "== $name: roundlab-cli experiment $*" >&2
  "$cli" experiment "$@" > "$out/$name.txt"
}

# Weights only first, then with 4-bit activations (QDrop's runs take about three times as long).
for model in fmnist_resnet fmnist_transformer; do
  run "$model-W2A32-study" "$model" --study --method brecq --wbits 2 --iters 100
done
for model in fmnist_resnet fmnist_transformer; do
  run "$model-W2A32-iterations" "$model" --axis method --values brecq,recommended --axis2 iters \
    --values2 100,300,1000,2000 --wbits 2
done
for model in fmnist_resnet fmnist_transformer; do
  run "$model-W2A4-study" "$model" --study --method qdrop --wbits 2 --abits 4 --iters 100
done
for model in fmnist_resnet fmnist_transformer; do
  run "$model-W2A4-iterations" "$model" --axis method --values qdrop,recommended --axis2 iters \
    --values2 100,300,1000,2000 --wbits 2 --abits 4
done
