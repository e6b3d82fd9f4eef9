#!/usr/bin/env sh
# Puts `rampart` on the PATH from this checkout: packs the repository and installs the tarball globally, with
# Node 24 as a dependency of the package (so a machine whose system Node is older still runs Rampart on 24).
# Run after `npm install` in the checkout. Extra arguments go to `npm install -g` (e.g. --prefix ~/.local).
set -eu
cd "$(dirname "$0")/.."
node24=node_modules/.bin/node
if [ ! -x "$node24" ]; then
  echo "error: Node 24 is not in this checkout yet" >&2
  echo "hint: npm install   (then npm run install-cli again)" >&2
  exit 1
fi
# npm runs on the Node 24 the package brings, so engines are checked against the Node that will run Rampart
# (no EBADENGINE warnings from a system Node 20) and the tarball is built the same way.
npm_cli=$(readlink -f "$(command -v npm)" | sed 's#/bin/npm$#/bin/npm-cli.js#')
npm() { "$node24" "$npm_cli" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tarball=$(npm pack --silent --pack-destination "$tmp" | tail -n 1)
# The `node` package's install script fetches the Node 24 binary from the npm registry (its platform package).
npm install -g --no-audit --no-fund "$@" "$tmp/$tarball"
bin_dir="$(npm prefix -g "$@")/bin"
echo "installed: rampart $("$bin_dir/rampart" --version) at $bin_dir/rampart"
case ":$PATH:" in
*":$bin_dir:"*) ;;
*) echo "note: $bin_dir is not on your PATH; add it: export PATH=\"$bin_dir:\$PATH\"" ;;
esac
echo "next: mkdir my-project && cd my-project && rampart init"
