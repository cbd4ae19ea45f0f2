#!/usr/bin/env bash
# Installs, builds and runs every RoundLab test (ctest; Qt Test suites, offscreen).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
build=${ROUNDLAB_BUILD_DIR:-"$here/build"}
cd "$build"
QT_QPA_PLATFORM=offscreen ctest --output-on-failure --timeout 900 "$@"
