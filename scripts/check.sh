#!/usr/bin/env bash
# The source checks CI runs before building: formatting (clang-format, the checked-in style) and
# layering (scripts/check-layering.py). Installs clang-format and python3 from Debian's packages
# when they are missing. Both checks always run; the exit status is 1 when either fails.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
missing=()
command -v clang-format >/dev/null || missing+=(clang-format)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "roundlab check: installing ${missing[*]}"
  $sudo_cmd apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
status=0
"$here/scripts/check-format.sh" || status=1
if python3 "$here/scripts/check-layering.py" "$here"; then
  echo "check-layering: engine/ is Qt-free, app/ and widgets/ never reach Torch, engine folders depend one way"
else
  status=1
fi
exit $status
