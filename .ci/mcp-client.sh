#!/usr/bin/env bash
# A client no one here wrote: the official MCP Python SDK (`mcp`, pinned with everything it
# installs in tests/clients/mcp/requirements.txt) drives an agent's journey against the demo
# server's /mcp (tests/clients/mcp/journey.py): with elicitation (the person picks pickup and
# says yes in the client) and without (the confirmationId step).
#
#   .ci/mcp-client.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.ci/.venv-mcp
requirements=tests/clients/mcp/requirements.txt
if ! cmp -s "$requirements" "$venv/installed.txt" 2> /dev/null; then
  echo "== installing the MCP Python SDK (pinned) into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed.txt"
fi

cargo build --quiet --bin marketfront
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_mcp_client
port=${MCP_CLIENT_PORT:-18183}
mkdir -p target
log=target/mcp-client-server.log
: > "$log"
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
source bench/demo-server.sh
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true; psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true' EXIT
start_demo_server target/debug/marketfront "$server_url/$database" "$port" "$log"
base=http://127.0.0.1:$port

# The partner mints a session for its user, who has saved a card in the partner's app.
key="Authorization: Bearer mfk_demodistrib0_public-demo-key-for-local-use-only"
json="Content-Type: application/json"
session=$(curl -fsS -X POST "$base/v1/marketplace/session/create" -H "$key" -H "$json" \
  -d '{"partnerUserId":"agent-user","email":"ann@example.com","firstName":"Ann","lastName":"Lee"}')
token=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' <<< "$session")
card=$(curl -fsS -X POST "$base/v1/marketplace/checkout/payments" -H "Authorization: Bearer $token" -H "$json" \
  -d '{"cardNumber":"4242424242424242","expiration":"2030-12","cvc":"123"}')
payment_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["paymentId"])' <<< "$card")

"$venv/bin/python" tests/clients/mcp/journey.py "$base" "$token" "$payment_id"
