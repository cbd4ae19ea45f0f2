#!/usr/bin/env bash
# RoundLab set-up for a fresh Debian 12 machine: installs every dependency from Debian's
# packages (idempotent), then configures and builds. Usage: scripts/setup.sh [--no-build]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libgl-dev
  libtorch-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libhdf5-dev zlib1g-dev
  libopenblas0-pthread
  dataset-fashion-mnist
  xvfb xauth
  poppler-utils
  libgraphviz-dev
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "roundlab setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's torch calls the system libblas.so.3; point it at OpenBLAS (Linear layers ~8x faster).
if command -v update-alternatives >/dev/null; then
  alt=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas-pthread | head -1 || true)
  if [ -n "$alt" ]; then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" >/dev/null || true
  fi
fi

[ "${1:-}" = "--no-build" ] && exit 0

build=${ROUNDLAB_BUILD_DIR:-"$here/build"}
export CCACHE_BASEDIR="$here"
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build "$build"
