#!/usr/bin/env bash
# Vendor MathJax 3 (es5 build) into _vendor/mathjax/ so the book renders math offline.
# _vendor/ is listed in html_static_path (see _config.yml), so the files are served
# from _build/html/_static/mathjax/.  It is deliberately NOT the top-level _static/:
# Jupyter Book 1.x adds every *.js under <root>/_static to html_js_files, which would
# inject hundreds of MathJax component <script> tags into every page.
# Idempotent: exits early when the vendored copy is already present.
# Usage: tools/vendor_mathjax.sh [VERSION]   (default 3.2.2; needs `npm` and `tar`)
set -euo pipefail

VERSION="${1:-${MATHJAX_VERSION:-3.2.2}}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/_vendor/mathjax"
STAMP="$DEST/.mathjax-version"

if [[ -f "$DEST/tex-chtml.js" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
    echo "MathJax $VERSION already vendored in $DEST"
    exit 0
fi

command -v npm >/dev/null || { echo "error: npm is required to fetch MathJax" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "Fetching mathjax@$VERSION from the npm registry ..."
( cd "$TMP" && npm pack --silent "mathjax@$VERSION" >/dev/null )
tarball="$(ls "$TMP"/mathjax-*.tgz)"
tar -xzf "$tarball" -C "$TMP"
[[ -f "$TMP/package/es5/tex-chtml.js" ]] || { echo "error: es5/tex-chtml.js missing in $tarball" >&2; exit 1; }

# Replace atomically-ish: build next to the destination, then swap in.
mkdir -p "$ROOT/_vendor"
rm -rf "$DEST.tmp"
cp -r "$TMP/package/es5" "$DEST.tmp"
cp "$TMP/package/LICENSE" "$DEST.tmp/LICENSE" 2>/dev/null || true
echo "$VERSION" > "$DEST.tmp/.mathjax-version"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "MathJax $VERSION vendored into $DEST ($(du -sh "$DEST" | cut -f1))"
