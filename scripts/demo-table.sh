#!/usr/bin/env bash
# Records what the headless demo prints, after a change to the demo or to anything that changes
# its numbers: the full table goes into the README (between the demo-table markers), the quick
# one's JSON into tests/data/demo-quick.json. The cli test compares both with a fresh run.
# Usage: scripts/demo-table.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${ROUNDLAB_BUILD_DIR:-$here/build}}
cli="$build/app/roundlab-cli"
sessions=$(mktemp -d)
trap 'rm -rf "$sessions"' EXIT
"$cli" demo --quick --json --sessions "$sessions" > "$here/tests/data/demo-quick.json"
table=$("$cli" demo --sessions "$sessions" | sed "s#$sessions#~/.local/share/roundlab/demo#g")
python3 - "$here/README.md" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
start, end = "<!-- demo-table -->", "<!-- /demo-table -->"
i, j = text.index(start) + len(start), text.index(end)
open(path, "w", encoding="utf-8").write(text[:i] + "\n```\n" + table.strip() + "\n```\n" + text[j:])
PY
echo "demo-table: README.md and tests/data/demo-quick.json updated"
