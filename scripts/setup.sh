#!/usr/bin/env sh
# `npm install` for this checkout, with npm running on Node 24. npm checks every package's `engines` against the
# Node that runs npm itself (process.version; npm 11 has no setting for it), and Rampart's dependencies (commander,
# kysely, undici, OpenTelemetry …) require Node >= 22: a system npm on Node 20 warns EBADENGINE for each, although
# none of them ever runs on Node 20 (Rampart runs on the Node 24 the `node` dependency brings). So npm runs on the
# checkout's Node 24 once it is there, and before that (a fresh checkout) on the same Node 24 fetched by npx from
# the npm registry. Arguments go to `npm install` (e.g. --dry-run).
set -eu
cd "$(dirname "$0")/.."
node24=node_modules/.bin/node
if [ -x "$node24" ]; then
  npm_cli=$(readlink -f "$(command -v npm)" | sed 's#/bin/npm$#/bin/npm-cli.js#')
  exec "$node24" "$npm_cli" install "$@"
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
  exec npm install "$@"
fi
# The version the checkout pins, so the first install runs on the same Node as every later one.
version=$(node -p 'require("./package.json").dependencies.node.replace(/^[^0-9]*/, "")')
# `npm` found through the PATH that npx prepends runs on that Node 24 (its shebang is `env node`).
exec npx --yes --package "node@$version" -- npm install "$@"
