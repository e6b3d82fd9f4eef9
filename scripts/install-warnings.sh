#!/usr/bin/env sh
# Checks that installing this checkout prints no EBADENGINE warning when the system npm runs on Node 20:
# `npm run setup` (scripts/setup.sh) in a temp copy of package.json and package-lock.json, with --dry-run (the
# engines check runs on the resolved tree, so a dry run sees every warning a real install would print). Also shows
# what a plain `npm install` prints on the system Node, for comparison. Needs the npm registry.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json package-lock.json "$tmp/"
mkdir "$tmp/scripts" && cp scripts/setup.sh "$tmp/scripts/"
plain=$(cd "$tmp" && npm install --dry-run --no-audit --no-fund 2>&1 | grep -c 'EBADENGINE Unsupported engine' || true)
echo "plain npm install on the system's Node $(node --version): $plain EBADENGINE warning(s)"
out=$(cd "$tmp" && sh scripts/setup.sh --dry-run --no-audit --no-fund 2>&1)
setup=$(printf '%s\n' "$out" | grep -c 'EBADENGINE' || true)
echo "npm run setup: $setup EBADENGINE warning(s)"
if [ "$setup" -ne 0 ]; then
  printf '%s\n' "$out" >&2
  echo "error: npm run setup printed EBADENGINE warnings" >&2
  exit 1
fi
printf '%s\n' "$out" | grep -q 'added [0-9]* packages' || {
  printf '%s\n' "$out" >&2
  echo "error: npm run setup did not resolve the tree" >&2
  exit 1
}
echo "ok"
