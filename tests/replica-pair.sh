#!/usr/bin/env bash
# A real primary and its streaming replica, for the tests of the read routing (and by hand):
# two throw-away Postgres clusters of the local installation, on ports of their own, the
# replica made by pg_basebackup -R so that it follows the primary over a replication slot.
#
#   tests/replica-pair.sh start DIR PRIMARY_PORT REPLICA_PORT   (DIR must not exist yet)
#   tests/replica-pair.sh stop-replica DIR                       (stops the replica: a replica lost)
#   tests/replica-pair.sh stop DIR                               (stops both, removes DIR)
#
# Both trust local connections as `postgres` on 127.0.0.1 only. Run as root, the clusters
# belong to the `postgres` user (initdb refuses root). Durability is off: nothing here outlives
# the test.
set -euo pipefail

bindir=$(pg_config --bindir 2> /dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
fi
[ -x "$bindir/initdb" ] || { echo "replica-pair: no initdb found (is PostgreSQL installed?)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir=$1 primary_port=$2 replica_port=$3
  mkdir "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bindir/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --no-sync > "$dir/initdb.log"
  cat >> "$dir/primary/postgresql.conf" <<EOF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 60
EOF
  as_owner "$bindir/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 30 start > /dev/null
  as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" \
    -R -X stream -C -S replica --checkpoint=fast --no-sync
  cat >> "$dir/replica/postgresql.conf" <<EOF
port = $replica_port
hot_standby = on
EOF
  as_owner "$bindir/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -t 30 start > /dev/null
}

stop() {
  local dir=$1
  for cluster in replica primary; do
    if [ -f "$dir/$cluster/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/$cluster" -m immediate -w stop > /dev/null 2>&1 || true
    fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" "$3" "$4" ;;
  stop-replica) as_owner "$bindir/pg_ctl" -D "$2/replica" -m immediate -w stop > /dev/null ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 start DIR PRIMARY_PORT REPLICA_PORT | stop-replica DIR | stop DIR" >&2; exit 2 ;;
esac
