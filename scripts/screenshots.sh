#!/usr/bin/env bash
# Launches the real RoundLab workbench under Xvfb on the bundled demo, runs a short AdaRound and
# an importance estimate, and saves a screenshot of every view into docs/screenshots/ (or $1).
# Usage: scripts/screenshots.sh [OUT_DIR]   (after scripts/setup.sh; about a minute)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/docs/screenshots}
# A fixed size and light palette, so the pictures compare between runs.
export QT_SCALE_FACTOR=1
xvfb-run -a -s "-screen 0 1600x1000x24" \
  env XDG_CONFIG_HOME="$(mktemp -d)" "$here/build/app/roundlab" --screenshots "$out"
ls -1 "$out"/*.png
