#!/bin/sh
# Generates RoundLab's corpus of bad inputs into OUT_DIR: one file (or folder) per way a user's
# input can be wrong. cases.tsv (beside this script) says what each must produce.
#   make-bad-inputs.sh OUT_DIR ROUNDLAB_CLI BAD_INPUT_WRITER DEMO_DIR
set -eu
mkdir -p "$1"
out=$(realpath "$1") cli=$(realpath "$2") writer=$(realpath "$3") demo=$(realpath "$4")
known=$(realpath "$(dirname "$0")/../../fuzz/hdf5-known-crashes")
cd "$out"

# A valid session to tamper with (the transformer, round to nearest: a second or two).
"$cli" quantize "$demo/fmnist_transformer.pt" --calib "$demo/fmnist_calib.h5" --calib-count 32 \
  --method rtn --wbits 4 --session valid.rlab > /dev/null 2> valid.log || { cat valid.log >&2; exit 1; }
rm valid.log
"$writer" "$out" "$demo" valid.rlab

# Files that are wrong as bytes.
: > empty.pt
printf 'just some text, not a model\n' > text.pt
head -c 200000 "$demo/fmnist_resnet.pt" > model-truncated.pt
printf 'PK\003\004 a zip header and nothing else' > model-zip-header-only.pt
: > empty.h5
printf 'not hdf5 at all\n' > text.h5
head -c 100000 "$demo/fmnist_calib.h5" > data-truncated.h5
head -c 3000 valid.rlab > session-truncated.rlab
cp "$demo/fmnist_calib.h5" session-is-data.rlab
printf '\211HDF\r\n\032\n and then garbage' > data-signature-only.h5
# RoundLab's own files (sealed with a checksum) with one byte changed after they were written.
cp valid.rlab session-seal-broken.rlab
printf '\377' | dd of=session-seal-broken.rlab bs=1 seek=6000 conv=notrunc status=none
"$cli" make-calib idx-ok-images-idx3-ubyte -o data-seal-broken.h5 > /dev/null
printf '\377' | dd of=data-seal-broken.h5 bs=1 seek=3000 conv=notrunc status=none
# Files found by fuzzing on which HDF5 1.10.8 itself overflows a buffer or loops for ever.
cp "$known/session-vlen-heap-overflow" session-hdf5-heap-overflow.rlab
cp "$known/data-global-heap-hang" data-hdf5-heap-loop.h5
# Special files.
mkdir -p a-folder.pt
rm -f fifo.pt && mkfifo fifo.pt
