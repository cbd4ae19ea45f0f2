#!/bin/sh
# The design-space study of docs/best-practices.md, three seeds per cell: the founding paper's study
# (each axis alone around BRECQ for weights only, around QDrop with 4-bit activations, 100
# iterations per unit) at every width, and the iteration count as an axis (BRECQ/QDrop against the
# recommended method at 100/300/1000/2000 iterations per unit).
#
#   bench/design_space_study.sh [DEMO_DIR] [OUT_DIR]
#
# Environment (defaults in brackets):
#   MODELS            the models studied [fmnist_resnet fmnist_transformer fmnist_mobilenet fortunes_gpt]
#   SETTINGS          the widths studied [W2A32 W3A32 W4A32 W2A4 W4A4]
#   ITERATION_MODELS  the models of the iteration axis [fmnist_resnet fmnist_transformer]
#   ITERATION_SETTINGS  its widths [W2A32 W2A4]; an empty list leaves a part out
#   JOBS              runs at once, each on one thread [2]
#   ROUNDLAB_CLI      the CLI [build/app/roundlab-cli]
#
# Every experiment is written as job files (roundlab-cli experiment --jobs-dir), run JOBS at a time
# (roundlab-cli run-job) and merged (roundlab-cli merge) into OUT_DIR/<model>-<setting>-<what>.rlab,
# its table (per cell mean ± std over the seeds) into the .txt beside it. An interrupted study
# resumes: finished tables and finished jobs are kept. Accuracies do not depend on the machine's
# load or on JOBS; wall times do. The whole default study is about 20 hours of one core (the
# character LM's cells take ten times an image model's, QDrop's three times BRECQ's);
# MODELS=fmnist_mobilenet SETTINGS=W2A32 ITERATION_SETTINGS= takes about 6 minutes.
set -eu
cli=${ROUNDLAB_CLI:-build/app/roundlab-cli}
demo=${1:-resources/demo}
out=${2:-study}
jobs=${JOBS:-2}
mkdir -p "$out"

# NAME MODEL ARGS...: one experiment, its session and its table.
experiment() {
  name=$1
  model=$2
  shift 2
  if [ -f "$out/$name.txt" ]; then
    echo "== $name: done before ($out/$name.txt)" >&2
    return
  fi
  case $model in
    fortunes_*) data=fortunes ;;
    *) data=fmnist ;;
  esac
  set -- "$demo/$model.pt" --calib "$demo/${data}_calib.h5" --eval "$demo/${data}_val.h5" --seeds 0,1,2 "$@"
  echo "== $name: roundlab-cli experiment $*" >&2
  dir="$out/$name.jobs"
  [ -d "$dir" ] || "$cli" experiment "$@" --jobs-dir "$dir" > /dev/null
  # Jobs whose result is there already (an earlier, interrupted study) are not run again.
  for job in "$dir"/job-*.json; do
    [ -f "${job%.json}.rlab" ] || echo "$job"
  done | xargs -r -P "$jobs" -n 1 "$cli" run-job --threads 1 > "$dir/run.log" 2>&1 ||
    { echo "$name: a job failed; its message is in $dir/run.log (rerun the script to resume)" >&2; exit 1; }
  "$cli" merge "$dir" -o "$out/$name.rlab" > "$out/$name.txt.part"
  mv "$out/$name.txt.part" "$out/$name.txt"
}

# W<w>A<a>: the study's base method and widths.
widths() {
  w=${1#W}
  a=${w#*A}
  w=${w%A*}
  if [ "$a" = 32 ]; then echo "brecq --wbits $w"; else echo "qdrop --wbits $w --abits $a"; fi
}

for setting in ${SETTINGS-W2A32 W3A32 W4A32 W2A4 W4A4}; do
  set -- $(widths "$setting")
  method=$1
  shift
  for model in ${MODELS-fmnist_resnet fmnist_transformer fmnist_mobilenet fortunes_gpt}; do
    experiment "$model-$setting-study" "$model" --study --method "$method" "$@" --iters 100
  done
done
for setting in ${ITERATION_SETTINGS-W2A32 W2A4}; do
  set -- $(widths "$setting")
  method=$1
  shift
  for model in ${ITERATION_MODELS-fmnist_resnet fmnist_transformer}; do
    experiment "$model-$setting-iterations" "$model" --axis method --values "$method,recommended" \
      --axis2 iters --values2 100,300,1000,2000 "$@"
  done
done
