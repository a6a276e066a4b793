#!/usr/bin/env bash
# Counts the server's instructions per request under one load scenario, with callgrind. On this
# shared machine requests/s move by a third between runs with no change at all; the instruction
# count repeats within a few percent, so it can judge a change to the hot path that the noise
# would hide. It counts the server's own user-space work only: not the kernel, not Postgres.
#   bench/profile.sh [SCENARIO] [SECONDS]     e.g. bench/profile.sh validate-valid 10
# The profile is left in target/profile/ for `callgrind_annotate --inclusive=yes`.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-validate-valid}
seconds=${2:-10}
port=${PROFILE_PORT:-18091}
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_profile
out=target/profile

cargo build --release --quiet --bin marketfront --example loadgen
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
rm -rf "$out" && mkdir -p "$out"

source bench/demo-server.sh
DEMO_SERVER_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$out/callgrind.out" DEMO_SERVER_WAIT_TRIES=600 \
  start_demo_server target/release/marketfront "$server_url/$database" "$port" "$out/server.log"
server=$server_pid
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT

# Requests the server has answered, from its own counter (the /metrics reads themselves excluded).
answered() {
  curl -fs "http://127.0.0.1:$port/metrics" \
    | awk '/^http_requests_total/ && !/route="\/metrics"/ { total += $NF } END { printf "%d", total }'
}
load() {
  target/release/examples/loadgen --url "http://127.0.0.1:$port" --scenarios "$scenario" --seconds "$1" \
    --connections 4 | grep "^| $scenario" || true
}

load 3 > /dev/null # warm-up: caches filled, connections open
before=$(answered)
callgrind_control -z "$server" > /dev/null 2>&1
load "$seconds"
callgrind_control -d "$server" > /dev/null 2>&1
after=$(answered)

profile=$(ls "$out"/callgrind.out.* | head -1)
instructions=$(callgrind_annotate "$profile" 2> /dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
requests=$((after - before))
echo "$scenario: $requests requests, $instructions instructions in the server, $((instructions / requests)) per request"
echo "profile: $profile"
