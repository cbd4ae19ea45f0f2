#!/bin/sh
# The mixed-precision table of docs/importance.md: on every bundled image model, at 2.5, 3, 4 and 5
# average bits, with round to nearest and with learned rounding (the recommended method), the
# validation top-1 of the importance-based allocation alone, of what the uniform guard kept, and of
# the uniform allocations that could compete at that budget.
#
#   bench/allocation_table.sh [DEMO_DIR] [OUT_FILE] [METHODS]   (METHODS default "rtn recommended")
#
# One line per model, method and budget:
#   model method budget mixed=TOP1 kept=LABEL:TOP1 uniform=b:TOP1,...
# where "b" is every layer at b bits and "b+8" the same with the first and last layers at 8 bits
# (average just above b). ROUNDLAB_CLI names the CLI (default build/app/roundlab-cli).
set -eu
cli=${ROUNDLAB_CLI:-build/app/roundlab-cli}
demo=${1:-resources/demo}
out=${2:-allocation-table.txt}
methods=${3:-rtn recommended}
data="--calib $demo/fmnist_calib.h5 --eval $demo/fmnist_val.h5"

top1() { grep -o '"top1_quantized": [0-9.]*' | head -n 1 | sed 's/.*: //'; }
kept() { grep -o '"kept": "[^"]*"' | head -n 1 | sed 's/.*: "//; s/"//'; }

uniform() {  # MODEL METHOD BITS [first/last 8]: top-1 of a uniform allocation, computed once
  key="$1-$2-$3${4:+-8}"
  cache="$out.cache/$key"
  if [ ! -f "$cache" ]; then
    flag=--no-first-last-8bit
    [ -n "${4:-}" ] && flag=
    # shellcheck disable=SC2086  # $data and $flag are lists of words on purpose
    "$cli" quantize "$demo/$1.pt" $data --method "$2" --wbits "$3" $flag --json | top1 > "$cache"
  fi
  cat "$cache"
}

mkdir -p "$out.cache"
: > "$out"
for model in fmnist_resnet fmnist_transformer fmnist_mobilenet; do
  for method in $methods; do
    for budget in 2.5 3 4 5; do
      # shellcheck disable=SC2086
      guarded=$("$cli" allocate "$demo/$model.pt" $data --budget-bits "$budget" --method "$method" --json)
      # shellcheck disable=SC2086
      mixed=$("$cli" allocate "$demo/$model.pt" $data --budget-bits "$budget" --method "$method" \
        --no-uniform-guard --json | top1)
      case $budget in
        2.5) competitors="2:$(uniform $model $method 2) 2+8:$(uniform $model $method 2 8)" ;;
        3) competitors="3:$(uniform $model $method 3) 2+8:$(uniform $model $method 2 8)" ;;
        4) competitors="4:$(uniform $model $method 4) 3+8:$(uniform $model $method 3 8)" ;;
        5) competitors="5:$(uniform $model $method 5) 4+8:$(uniform $model $method 4 8)" ;;
      esac
      line="$model $method $budget mixed=$mixed kept=$(echo "$guarded" | kept):$(echo "$guarded" | top1) uniform=$competitors"
      echo "$line" | tee -a "$out"
    done
  done
done
