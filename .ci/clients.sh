#!/usr/bin/env bash
# Clients no one here wrote: generates a Python client (openapi-python-client) and a TypeScript
# client (openapi-typescript types + openapi-fetch, checked by `tsc --strict`) from the document
# the demo server serves, and runs the same partner journey with each against it
# (tests/clients/*/journey.*). Generation must print no warning. Every tool is pinned:
# tests/clients/python/requirements.txt and tests/clients/typescript/package-lock.json.
#
#   .ci/clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.ci/.venv-clients
requirements=tests/clients/python/requirements.txt
if ! cmp -s "$requirements" "$venv/installed.txt" 2> /dev/null; then
  echo "== installing openapi-python-client (pinned) into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed.txt"
fi
typescript=tests/clients/typescript
echo "== installing openapi-typescript, openapi-fetch and typescript (pinned) in $typescript"
(cd "$typescript" && npm ci --no-audit --no-fund --loglevel=error)

cargo build --quiet --bin marketfront
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_clients
port=${CLIENTS_PORT:-18182}
out=target/clients
rm -rf "$out"
mkdir -p "$out"
log=$out/server.log
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
source bench/demo-server.sh
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true; psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true' EXIT
start_demo_server target/debug/marketfront "$server_url/$database" "$port" "$log"
base=http://127.0.0.1:$port
curl -fsS "$base/openapi.json" -o "$out/openapi.json"

# Fails the run if a generator's output mentions a warning.
no_warnings() {
  local what=$1 output=$2
  cat "$output"
  if grep -qiE "warn" "$output"; then
    echo "$what printed a warning: the document must generate cleanly"
    exit 1
  fi
}

echo "== python: openapi-python-client generate"
(cd "$out" && PATH="$PWD/../../$venv/bin:$PATH" openapi-python-client generate --path openapi.json \
  --meta none --output-path marketfront_client) > "$out/python-generate.txt" 2>&1
no_warnings openapi-python-client "$out/python-generate.txt"
echo "== python: the journey"
PYTHONPATH="$out" "$venv/bin/python" tests/clients/python/journey.py "$base"

echo "== typescript: openapi-typescript, then tsc --strict"
(cd "$typescript" && rm -rf generated dist \
  && ./node_modules/.bin/openapi-typescript "../../../$out/openapi.json" -o generated/schema.d.ts) \
  > "$out/typescript-generate.txt" 2>&1
no_warnings openapi-typescript "$out/typescript-generate.txt"
(cd "$typescript" && ./node_modules/.bin/tsc -p tsconfig.json)
echo "== typescript: the journey"
node "$typescript/dist/journey.js" "$base"
