# Sourced by bench/run.sh, bench/faults.sh and .ci/contract.sh: one way to start the demo server
# for a script that drives it.

# start_demo_server BINARY DATABASE_URL PORT LOG [NAME=VALUE …]
# Serves the demo data from BINARY on 127.0.0.1:PORT in the background, with the rate limits
# lifted (these scripts send far more than a partner's budget) and the extra settings given,
# appending its output to LOG. Sets `server_pid`; returns once /readyz answers, or shows the end
# of LOG and exits. DEMO_SERVER_WRAPPER runs the server under a tool (bench/profile.sh: valgrind),
# and DEMO_SERVER_WAIT_TRIES waits longer for it (tries 0.2 s apart, 150 by default).
start_demo_server() {
  local binary=$1 database_url=$2 port=$3 log=$4
  shift 4
  env DATABASE_URL="$database_url" MARKETFRONT_LISTEN="127.0.0.1:$port" MARKETFRONT_LOG=warn \
    MARKETFRONT_RATE_LIMIT_READS_PER_MINUTE=1000000000 MARKETFRONT_RATE_LIMIT_WRITES_PER_MINUTE=1000000000 \
    MARKETFRONT_AUTH_LOOKUPS_PER_MINUTE=1000000000 \
    "$@" ${DEMO_SERVER_WRAPPER:-} "$binary" serve --demo >> "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 "${DEMO_SERVER_WAIT_TRIES:-150}"); do
    curl -fs "http://127.0.0.1:$port/readyz" > /dev/null && return 0
    sleep 0.2
  done
  echo "the server on port $port did not become ready:"
  tail -30 "$log"
  exit 1
}
