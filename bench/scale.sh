#!/usr/bin/env bash
# Discovery at a city's scale against the demo's, in one run (issue 14):
#
#   bench/scale.sh [STORES]        (default 100000)
#
# 1. `marketfront serve --demo` on a fresh database; the load generator runs each discovery
#    shape (near; near + delivery; near + text; typo text; openNow) against the demo's stores.
# 2. The city: STORES clones of the demo's stores (each with its own copy of its catalog set and
#    discovery entry) spread uniformly over a 60 x 60 km square centred on the demo's point,
#    10% of them paused, written by INSERT … SELECT from the demo's own rows (so every clone is
#    exactly what the API wrote for its template). Then VACUUM ANALYZE, a fresh server (cold
#    caches), and the same shapes again.
# Prints both tables, the seeding time and the server's RSS; BENCHMARKS.md holds the figures.
# SCALE_CAPS="1000 100" runs the city once per count cap; SCALE_SECONDS sets each scenario's time.
#
# Not yet seeded here (issue 14's full city): menus of 150-600 items, 1,000,000 orders and
# 1,000,000 webhook deliveries; the clones carry the demo's menus.
set -euo pipefail
cd "$(dirname "$0")/.."

stores=${1:-100000}
port=${BENCH_PORT:-18090}
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_scale
scenarios=${SCALE_SCENARIOS:-discover-near,discover-delivery,discover-text,discover-typo,discover-open}
seconds=${SCALE_SECONDS:-10}

cargo build --release --quiet --bin marketfront --example loadgen
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
source bench/demo-server.sh
log=/tmp/marketfront-scale-server.log
: > "$log"

run() {
  start_demo_server target/release/marketfront "$server_url/$database" "$port" "$log" "$@"
  local server=$server_pid
  target/release/examples/loadgen --url "http://127.0.0.1:$port" --seconds "$seconds" --scenarios "$scenarios"
  echo "server RSS after the run: $(ps -o rss= -p "$server" | awk '{printf "%.1f MiB", $1/1024}')"
  kill "$server"; wait "$server" 2> /dev/null || true
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
echo
echo "## the demo ($(date -u +%FT%TZ))"
run

echo
echo "## seeding $stores stores"
started=$EPOCHREALTIME
psql "$server_url/$database" -q -v ON_ERROR_STOP=1 -v stores="$stores" <<'SQL'
CREATE TEMP TABLE templates AS
  SELECT row_number() OVER (ORDER BY s.id) - 1 AS n, s.id AS store_id
  FROM stores s JOIN catalog_sets c ON c.store_id = s.id;
CREATE TEMP TABLE clones AS
  SELECT g, gen_random_uuid() AS store_id, gen_random_uuid() AS catalog_set_id, t.store_id AS template,
         -- 60 km of latitude is 0.5396 degrees; of longitude at 40.71 N, 0.7117 degrees.
         round((40.7128 + (random() - 0.5) * 0.5396)::numeric, 7)::float8 AS lat,
         round((-74.0060 + (random() - 0.5) * 0.7117)::numeric, 7)::float8 AS lon,
         random() < 0.1 AS paused
  FROM generate_series(1, :stores) g
  JOIN templates t ON t.n = g % (SELECT count(*) FROM templates);
INSERT INTO stores (id, organization_id, details, latitude, longitude, delivery_allowed, pickup_allowed,
                    delivery_radius_km, status, pause_reason, version, created_at, updated_at)
  SELECT c.store_id, s.organization_id,
         jsonb_set(jsonb_set(jsonb_set(s.details, '{address,latitude}', to_jsonb(c.lat)),
                             '{address,longitude}', to_jsonb(c.lon)),
                   '{name}', to_jsonb((s.details->>'name') || ' #' || c.g)),
         c.lat, c.lon, s.delivery_allowed, s.pickup_allowed, s.delivery_radius_km,
         CASE WHEN c.paused THEN 'paused' ELSE 'online' END, CASE WHEN c.paused THEN 'Closed for a while' END,
         1, now(), now()
  FROM clones c JOIN stores s ON s.id = c.template;
INSERT INTO catalog_sets (id, store_id, document, created_at, updated_at)
  SELECT c.catalog_set_id, c.store_id, jsonb_set(k.document, '{catalogSetId}', to_jsonb(c.catalog_set_id::text)),
         now(), now()
  FROM clones c JOIN catalog_sets k ON k.store_id = c.template;
-- The entry of the template with the clone's position (domain::geo::unit_vector) and pause.
INSERT INTO discovery_entries
  SELECT c.store_id,
         cube(array[cos(radians(c.lat)) * cos(radians(c.lon)), cos(radians(c.lat)) * sin(radians(c.lon)),
                    sin(radians(c.lat))]),
         e.delivery_allowed, e.pickup_allowed, e.delivery_reach, c.paused, NULL, e.time_zone, e.open_hours,
         e.cuisines, e.name_words, e.cuisine_words, e.menu_words, e.items_by_word, e.listed
  FROM clones c JOIN discovery_entries e ON e.store_id = c.template;
VACUUM ANALYZE stores, catalog_sets, discovery_entries;
SQL
echo "seeded in $(echo "$EPOCHREALTIME - $started" | bc | cut -c1-5) s; $(psql "$server_url/$database" -Atc "SELECT count(*) FROM stores") stores"

for cap in ${SCALE_CAPS:-1000}; do
  echo
  echo "## the city, MARKETFRONT_DISCOVERY_COUNT_CAP=$cap ($(date -u +%FT%TZ))"
  run MARKETFRONT_DISCOVERY_COUNT_CAP="$cap"
done
