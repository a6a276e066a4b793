#!/usr/bin/env bash
# The reference in a real browser: headless Chromium (Debian's; installed here if missing) loads
# /docs from the demo server with a search for "idempotency" in its box (?q= fills it, through
# the same script as typing), and the run fails if the page logs anything to its console (a
# script error, a resource that did not load) or the search does not find the place operation.
# Also loads one error page. With --screenshots, saves both pages as PNGs in docs/screenshots/
# (the README shows them).
#
#   .ci/docs-check.sh [--screenshots]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium > /dev/null; then
  echo "== installing Debian's chromium"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > /dev/null
fi
chromium --version

cargo build --quiet --bin marketfront
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_docs
port=${DOCS_PORT:-18184}
out=target/docs-check
rm -rf "$out"
mkdir -p "$out"
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
source bench/demo-server.sh
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true; psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true' EXIT
start_demo_server target/debug/marketfront "$server_url/$database" "$port" "$out/server.log"
base=http://127.0.0.1:$port

# The flags keep Chromium off the network it has no business with (this machine refuses it).
browse() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --enable-logging=stderr --v=0 "$@"
}

browse --dump-dom "$base/docs?q=idempotency" > "$out/docs.html" 2> "$out/docs-console.txt"
browse --dump-dom "$base/errors/ORDER_TOTAL_DIFFERENT" > "$out/error.html" 2> "$out/error-console.txt"
for page in docs error; do
  if grep -q "CONSOLE" "$out/$page-console.txt"; then
    echo "the $page page logged to its console:"
    grep "CONSOLE" "$out/$page-console.txt"
    exit 1
  fi
done
grep -q '<section class="op" id="placeOrder">' "$out/docs.html" || {
  echo "a search for idempotency did not find (or hid) the place operation"
  exit 1
}
grep -q '<section class="op" id="healthz" hidden="">' "$out/docs.html" || {
  echo "a search for idempotency hid nothing: the search did not run"
  exit 1
}
matches=$(grep -oE '[0-9]+ of [0-9]+ operations match' "$out/docs.html") || {
  echo "the search did not say how many operations match"
  exit 1
}
grep -q '<h1><code>ORDER_TOTAL_DIFFERENT</code></h1>' "$out/error.html"
echo "docs: no console output; the search for idempotency: $matches, place among them; the error page renders"

if [ "${1:-}" = "--screenshots" ]; then
  mkdir -p docs/screenshots
  browse --window-size=1400,1000 --virtual-time-budget=5000 --hide-scrollbars \
    --screenshot="$PWD/docs/screenshots/reference.png" "$base/docs?q=idempotency" 2> /dev/null
  browse --window-size=1000,900 --virtual-time-budget=5000 --hide-scrollbars --screenshot="$PWD/docs/screenshots/error-page.png" \
    "$base/errors/ORDER_TOTAL_DIFFERENT" 2> /dev/null
  echo "screenshots: docs/screenshots/reference.png, docs/screenshots/error-page.png"
fi
