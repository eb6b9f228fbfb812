#!/usr/bin/env bash
# Rebuild ui/static/tailwind.css from the classes the UI's sources use (run after adding a Tailwind
# class anywhere; tests/test_ui_css.py fails until then). Needs Node.js and npm (the npm registry).
# The Tailwind version is the one NiceGUI's in-browser build carries, so pages look as they did.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$(pwd)
NICEGUI=$(python3 -c "import nicegui, os; print(os.path.dirname(nicegui.__file__))")
VERSION=$(head -c 200 "$NICEGUI/static/tailwindcss.min.js" | sed -n 's/.*var [A-Za-z]*="\([0-9.]*\)".*/\1/p')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
npm install --silent --no-audit --no-fund --prefix "$WORK" "@tailwindcss/cli@$VERSION" "tailwindcss@$VERSION" >/dev/null
# (the source's @source paths are relative to ui/static/; Tailwind resolves them from the input's folder)
sed -e "s#\"NICEGUI/#\"$NICEGUI/#" -e "s#@source \"\.\./#@source \"$HERE/ui/static/../#" \
  ui/static/tailwind.src.css > "$WORK/in.css"
"$WORK/node_modules/.bin/tailwindcss" -i "$WORK/in.css" -o ui/static/tailwind.css --minify
python3 scripts/css_classes.py --stamp ui/static/tailwind.css
