#!/usr/bin/env bash
# Checks that every C++ source follows the checked-in .clang-format; names each file that does
# not, with the fix. Exit 0 when all are formatted.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed (apt install clang-format)"; exit 2; }
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h' '*.inl' 2>/dev/null || find engine app widgets tests bench -name '*.cpp' -o -name '*.h' -o -name '*.inl')
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  for f in "${bad[@]}"; do echo "$f: not formatted as .clang-format says (run: clang-format -i $f)"; done
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
