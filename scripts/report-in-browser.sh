#!/usr/bin/env bash
# Screenshots a RoundLab report (roundlab-cli report SESSION.rlab -o REPORT.html) as a browser
# shows it, with headless Chromium: a check that the page renders (inline SVG plots, tables, no
# external resources). Chromium is not a RoundLab dependency: apt-get install chromium.
# Usage: scripts/report-in-browser.sh REPORT.html OUT.png [WIDTHxHEIGHT]   (default 1280x2000)
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
report=$1
out=$2
size=${3:-1280x2000}
if [ ! -f "$report" ]; then
  echo "$report: no such file" >&2
  exit 1
fi
browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" > /dev/null; then
    browser=$candidate
    break
  fi
done
if [ -z "$browser" ]; then
  echo "$0: headless Chromium is needed: apt-get install chromium" >&2
  exit 1
fi
url="file://$(realpath "$report")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --user-data-dir="$profile" \
  --window-size="${size/x/,}" --screenshot="$(realpath -m "$out")" "$url" > /dev/null 2>&1
if [ ! -s "$out" ]; then
  echo "$out: the browser wrote no screenshot" >&2
  exit 1
fi
echo "$out: $report at ${size}"
