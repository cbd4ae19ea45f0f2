#!/usr/bin/env bash
# Installs, builds and runs RoundLab's main job: the workbench on the bundled demo where a
# display exists, otherwise the headless demo (`roundlab-cli demo`), which prints a result table.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
build=${ROUNDLAB_BUILD_DIR:-"$here/build"}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${ROUNDLAB_HEADLESS:-0}" != 1 ]; then
  [ $# -gt 0 ] || set -- --demo  # the main job is the demo, not the welcome page
  exec "$build/app/roundlab" "$@"
fi
echo "No display found: running the headless demo (roundlab-cli demo)." >&2
exec "$build/app/roundlab-cli" demo "$@"
