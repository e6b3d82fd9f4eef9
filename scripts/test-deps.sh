#!/usr/bin/env sh
# Installs the Debian packages the tests need when they are missing, so that `npm test` passes on a fresh
# Debian machine by itself. Idempotent and quick when everything is present (only `command -v` checks).
# Each line: a command the tests run, and the Debian package that brings it; `py:MODULE` is a Python module
# instead, present when Debian's python3 (or the python3 on PATH) can import it.
set -eu
needs="
git git
openssl openssl
chromium chromium
promtool prometheus
prometheus prometheus
prometheus-alertmanager prometheus-alertmanager
python3 python3
py:prometheus_client python3-prometheus-client
sqlite3 sqlite3
pg_ctlcluster postgresql
openssl openssl
curl curl
"
has_python_module() {
  for py in /usr/bin/python3 python3; do
    "$py" -c "import $1" >/dev/null 2>&1 && return 0
  done
  return 1
}
missing=""
printf '%s\n' "$needs" | {
  while read -r cmd pkg; do
    [ -z "$cmd" ] && continue
    case "$cmd" in
      py:*) has_python_module "${cmd#py:}" || echo "$pkg" ;;
      *) command -v "$cmd" >/dev/null 2>&1 || echo "$pkg" ;;
    esac
  done
} | sort -u > "${TMPDIR:-/tmp}/rampart-test-deps.$$"
missing=$(tr '\n' ' ' < "${TMPDIR:-/tmp}/rampart-test-deps.$$")
rm -f "${TMPDIR:-/tmp}/rampart-test-deps.$$"
[ -z "${missing% }" ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs these Debian packages, which are missing: $missing" >&2
  echo "hint: sudo apt-get install --no-install-recommends $missing   (then run npm test again)" >&2
  exit 1
fi
echo "npm test: installing the Debian packages the tests need: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Without recommends: prometheus would pull in a node-exporter service.
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
