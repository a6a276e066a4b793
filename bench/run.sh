#!/usr/bin/env bash
# One command for BENCHMARKS.md: builds release binaries, starts `marketfront serve --demo` on a
# fresh database, runs the load generator against it, and stops the server.
#   bench/run.sh [loadgen flags…]     e.g. bench/run.sh --connections 64 --seconds 20
set -euo pipefail
cd "$(dirname "$0")/.."

port=${BENCH_PORT:-18080}
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_bench

cargo build --release --quiet --bin marketfront --example loadgen
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"

source bench/demo-server.sh
: > /tmp/marketfront-bench-server.log
start_demo_server target/release/marketfront "$server_url/$database" "$port" /tmp/marketfront-bench-server.log \
  MARKETFRONT_ALLOW_PRIVATE_URLS=1
server=$server_pid
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
echo "server idle RSS: $(ps -o rss= -p $server | awk '{printf "%.1f MiB", $1/1024}')"
target/release/examples/loadgen --url "http://127.0.0.1:$port" "$@"
echo "server RSS after the run: $(ps -o rss= -p $server | awk '{printf "%.1f MiB", $1/1024}')"

# The database's ceiling for place: the same statements through pgbench, same connections.
# (The server is idle meanwhile, so pgbench has the machine to itself.)
if [ "${BENCH_PGBENCH:-1}" = 1 ]; then
  id() { psql "$server_url/$database" -Atc "$1"; }
  org=$(id "SELECT id FROM organizations WHERE kind = 'distribution' ORDER BY created_at LIMIT 1")
  corg=$(id "SELECT id FROM organizations WHERE kind = 'commerce' ORDER BY created_at LIMIT 1")
  echo
  echo "pgbench, place's statements (bench/place.pgbench), ${PGBENCH_CLIENTS:-32} clients, ${PGBENCH_SECONDS:-10} s:"
  pgbench -n -M extended -c "${PGBENCH_CLIENTS:-32}" -j 2 -T "${PGBENCH_SECONDS:-10}" -f bench/place.pgbench \
    -D org="$org" -D corg="$corg" -D store=0195a1b0-0000-7000-8000-000000000002 \
    -D catalog=0195a1b0-0000-7000-8000-000000000102 "$server_url/$database" 2>&1 \
    | grep -E "^(tps|latency average|number of (transactions actually processed|failed))"
fi
