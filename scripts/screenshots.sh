#!/usr/bin/env bash
# Launches the real RoundLab workbench under Xvfb on the bundled demo, runs a short AdaRound and
# an importance estimate, and saves a screenshot of every view, at two screen sizes, each with
# fresh settings (a first start): 1920×1080 into docs/screenshots/ (the README's) and 1280×720
# into docs/screenshots/720p/, with every view again in presentation mode (a projector) into
# docs/screenshots/720p/presentation/ (or $1 and $1/720p).
# Usage: scripts/screenshots.sh [OUT_DIR]   (after scripts/setup.sh; about two minutes)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/docs/screenshots}
# A fixed scale and light palette, so the pictures compare between runs.
export QT_SCALE_FACTOR=1
shoot() {  # SCREEN DIR [OPTIONS]
  local config
  config=$(mktemp -d)
  xvfb-run -a -s "-screen 0 $1x24" env XDG_CONFIG_HOME="$config" XDG_DATA_HOME="$config" \
    "$here/build/app/roundlab" --screenshots "$2" "${@:3}"
  rm -rf "$config"
}
shoot 1920x1080 "$out"
shoot 1280x720 "$out/720p" --presentation
ls -1 "$out"/*.png "$out"/720p/*.png "$out"/720p/presentation/*.png
