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
#    Then ORDERS placed orders (default 1,000,000) for the demo's partner, copies of the orders
#    the demo run placed through the API, each with its history and authorisation, spread over
#    90 days; and DELIVERIES webhook deliveries (default 1,000,000) over 1,000 endpoints of the
#    restaurants' organisation, a tenth of them pending and due to endpoints that refuse.
# The hot path (validate, place), the order list's first page and a page 1,000 deep (by cursor)
# and webhook dispatch to a live receiver (`webhooks`: deliveries/s and lag) run in both.
# Prints both tables, the seeding time and the server's RSS; BENCHMARKS.md holds the figures.
# SCALE_CAPS="1000 100" runs the city once per count cap; SCALE_SECONDS sets each scenario's time.
#
# Each clone's menu is its template's plus 150-600 generated dishes; `catalog-big` reads one
# of 600 extra dishes and `validate-spread` prices the bagel cart at every bagel clone in turn
# (each a different menu to load), after which the server's RSS is printed against its cache
# bound (MARKETFRONT_CACHE_MB, 256 unless set).
set -euo pipefail
cd "$(dirname "$0")/.."

stores=${1:-100000}
orders=${ORDERS:-1000000}
deliveries=${DELIVERIES:-1000000}
port=${BENCH_PORT:-18090}
server_url=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_scale
bagels_store=0195a1b0-0000-7000-8000-000000000002
scenarios=${SCALE_SCENARIOS:-discover-near,discover-delivery,discover-text,discover-typo,discover-open,catalog,catalog-big,validate-valid,validate-spread,place,orders-first,orders-deep,webhooks}
seconds=${SCALE_SECONDS:-10}

cargo build --release --quiet --bin marketfront --example loadgen
psql "$server_url/postgres" -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"
source bench/demo-server.sh
log=/tmp/marketfront-scale-server.log
: > "$log"

# The cursor of the order list's page 1,000 (limit 20): the 20,000th newest order of the demo's
# partner, encoded as domain::cursor encodes it (or the oldest, while there are fewer).
deep_cursor() {
  local position
  position=$(psql "$server_url/$database" -Atc "
    SELECT (extract(epoch FROM placed_at) * 1000000)::bigint || '.' || replace(id::text, '-', '')
    FROM (SELECT o.placed_at, o.id FROM orders o JOIN api_keys k ON k.organization_id = o.organization_id
          WHERE k.prefix = 'mfk_demodistrib0' AND o.placement = 'placed'
          ORDER BY placed_at DESC, id DESC LIMIT 20000) page
    ORDER BY placed_at, id LIMIT 1")
  printf '1.o.%s' "${position:-0.00000000000000000000000000000000}" | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# The demo's bagel shop (loadgen's cart is for it) and every copy of it, with their menus.
bagel_shops() {
  psql "$server_url/$database" -Atc "
    SELECT s.id || ' ' || c.id FROM stores s JOIN catalog_sets c ON c.store_id = s.id
    WHERE s.details->>'name' LIKE (SELECT details->>'name' FROM stores WHERE id = '$bagels_store') || '%'
    ORDER BY s.id"
}

# One of the biggest menus (600 extra dishes), if the city has been seeded.
big_menu() {
  psql "$server_url/$database" -Atc "
    SELECT id FROM catalog_sets WHERE jsonb_array_length(document #> '{sections,more,itemIds}') = 600 LIMIT 1"
}

server_pid=
trap 'kill $server_pid 2> /dev/null || true' EXIT

run() {
  start_demo_server target/release/marketfront "$server_url/$database" "$port" "$log" MARKETFRONT_ALLOW_PRIVATE_URLS=1 "$@"
  local server=$server_pid
  export LOADGEN_ORDERS_CURSOR
  LOADGEN_ORDERS_CURSOR=$(deep_cursor)
  export LOADGEN_MENUS_FILE=/tmp/marketfront-scale-menus.txt LOADGEN_BIG_MENU
  bagel_shops > "$LOADGEN_MENUS_FILE"
  LOADGEN_BIG_MENU=$(big_menu)
  [ -n "$LOADGEN_BIG_MENU" ] || unset LOADGEN_BIG_MENU
  echo "validate-spread cycles over $(wc -l < "$LOADGEN_MENUS_FILE") bagel shops (their menus); catalog-big reads ${LOADGEN_BIG_MENU:-the demo bagel menu}"
  target/release/examples/loadgen --url "http://127.0.0.1:$port" --seconds "$seconds" --scenarios "$scenarios"
  echo "server RSS after the run: $(ps -o rss= -p "$server" | awk '{printf "%.1f MiB", $1/1024}') (cache bound: ${MARKETFRONT_CACHE_MB:-256} MiB)"
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
-- Menus of 150 to 600 items: each clone's menu is its template's plus one of ten extra
-- sections ("more"), of 150, 200, ... 600 items, listed in the template's first catalog.
CREATE TEMP TABLE extras AS
  SELECT v, 150 + v * 50 AS size,
         (SELECT jsonb_object_agg('more-' || i, jsonb_build_object('itemId', 'more-' || i, 'name', 'Dish number ' || i,
                                  'basePrice', 5 + (i % 20), 'available', true, 'modifierGroupIds', '[]'::jsonb))
          FROM generate_series(1, 150 + v * 50) i) AS items,
         (SELECT jsonb_agg('more-' || i) FROM generate_series(1, 150 + v * 50) i) AS item_ids
  FROM generate_series(0, 9) v;
INSERT INTO catalog_sets (id, store_id, document, created_at, updated_at)
  SELECT c.catalog_set_id, c.store_id,
         jsonb_set(
           jsonb_set(
             jsonb_set(jsonb_set(k.document, '{catalogSetId}', to_jsonb(c.catalog_set_id::text)),
                       '{items}', (k.document -> 'items') || x.items),
             '{sections}', (k.document -> 'sections') || jsonb_build_object('more', jsonb_build_object(
                 'sectionId', 'more', 'name', 'More dishes', 'itemIds', x.item_ids, 'sectionIds', '[]'::jsonb))),
           array['catalogs', first.id, 'sectionIds'],
           (k.document #> array['catalogs', first.id, 'sectionIds']) || '["more"]'::jsonb),
         now(), now()
  FROM clones c JOIN catalog_sets k ON k.store_id = c.template
  JOIN extras x ON x.v = c.g % 10
  CROSS JOIN LATERAL (SELECT min(key) AS id FROM jsonb_object_keys(k.document -> 'catalogs') key) first;
-- The entry of the template with the clone's position (domain::geo::unit_vector) and pause.
INSERT INTO discovery_entries (store_id, location, delivery_allowed, pickup_allowed, delivery_reach, paused,
                               resume_at, time_zone_id, open_hours, cuisines, name_words, cuisine_words,
                               menu_words, items_by_word, listed)
  SELECT c.store_id,
         cube(array[cos(radians(c.lat)) * cos(radians(c.lon)), cos(radians(c.lat)) * sin(radians(c.lon)),
                    sin(radians(c.lat))]),
         e.delivery_allowed, e.pickup_allowed, e.delivery_reach, c.paused, NULL, e.time_zone_id, e.open_hours,
         e.cuisines, e.name_words, e.cuisine_words, e.menu_words, e.items_by_word, e.listed
  FROM clones c JOIN discovery_entries e ON e.store_id = c.template;
VACUUM ANALYZE stores, catalog_sets, discovery_entries;
SQL
echo "stores seeded in $(echo "$EPOCHREALTIME - $started" | bc | cut -c1-5) s"
psql "$server_url/$database" -q -v ON_ERROR_STOP=1 -v orders="$orders" -v deliveries="$deliveries" <<'SQL'
-- Orders: copies of the demo run's placed orders, completed and settled, over the last 90 days.
CREATE TEMP TABLE order_templates AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM orders WHERE placement = 'placed';
CREATE TEMP TABLE order_clones AS
  SELECT gen_random_uuid() AS id, t.id AS template, now() - random() * interval '90 days' AS placed_at
  FROM generate_series(1, :orders) g
  JOIN order_templates t ON t.n = g % greatest((SELECT count(*) FROM order_templates), 1);
INSERT INTO orders (id, organization_id, partner_user_id, store_id, store_organization_id, catalog_set_id, token_hash,
                    idempotency_key, placement, state, status, fulfillment_type, cart, delivery, customer,
                    payment_method, amounts, total, currency, estimated_ready_at, version, created_at, placed_at,
                    updated_at, cancel_reason, closed_at, settled_at)
  SELECT c.id, o.organization_id, o.partner_user_id, o.store_id, o.store_organization_id, o.catalog_set_id,
         sha256(convert_to(c.id::text, 'UTF8')), gen_random_uuid(), 'placed', 'completed', 'ready',
         o.fulfillment_type, o.cart, o.delivery, o.customer, o.payment_method, o.amounts, o.total, o.currency,
         c.placed_at + interval '20 minutes', 4, c.placed_at, c.placed_at, c.placed_at + interval '40 minutes',
         NULL, c.placed_at + interval '40 minutes', c.placed_at + interval '41 minutes'
  FROM order_clones c JOIN orders o ON o.id = c.template;
INSERT INTO payment_authorizations (order_id, processor, processor_key, processor_reference, amount, currency, state,
                                    created_at, updated_at)
  SELECT c.id, p.processor, c.id::text, p.processor_reference, p.amount, p.currency, 'captured', c.placed_at,
         c.placed_at + interval '41 minutes'
  FROM order_clones c JOIN payment_authorizations p ON p.order_id = c.template;
INSERT INTO order_history (order_id, version, state, status, payment_state, changed_by, changed_at, note)
  SELECT c.id, v.version, v.state, v.status, v.payment_state,
         CASE v.actor WHEN 'restaurant' THEN o.store_organization_id::text ELSE 'marketfront' END,
         c.placed_at + v.version * interval '10 minutes', NULL
  FROM order_clones c JOIN orders o ON o.id = c.template,
       (VALUES (1, 'open', 'pending', 'authorized', 'marketfront'), (2, 'open', 'confirmed', 'authorized', 'restaurant'),
               (3, 'completed', 'ready', 'authorized', 'restaurant'), (4, 'completed', 'ready', 'captured', 'marketfront'))
         AS v(version, state, status, payment_state, actor);

-- Deliveries: one event per delivery, over 1,000 endpoints of the restaurants' organisation; a
-- tenth pending and due (to an address that refuses), the rest delivered.
INSERT INTO webhook_endpoints (id, organization_id, url, event_types, secret, enabled, created_at, updated_at)
  SELECT gen_random_uuid(), k.organization_id, 'http://127.0.0.1:9/hook-' || g, e.event_types, e.secret, true, now(), now()
  FROM generate_series(1, 1000) g, api_keys k,
       (SELECT event_types, secret FROM webhook_endpoints LIMIT 1) e
  WHERE k.prefix = 'mfk_democommerce';
CREATE TEMP TABLE endpoints AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, organization_id FROM webhook_endpoints
  WHERE url LIKE 'http://127.0.0.1:9/hook-%';
CREATE TEMP TABLE delivery_clones AS
  SELECT gen_random_uuid() AS event_id, gen_random_uuid() AS id, g % 1000 AS endpoint_n, g % 10 = 0 AS pending,
         now() - random() * interval '90 days' AS created_at
  FROM generate_series(1, :deliveries) g;
INSERT INTO outbox_events (id, organization_id, event_type, order_id, payload, created_at)
  SELECT d.event_id, e.organization_id, 'order_status_changed', NULL, '{"demo": true}', d.created_at
  FROM delivery_clones d JOIN endpoints e ON e.n = d.endpoint_n;
INSERT INTO webhook_deliveries (id, event_id, endpoint_id, organization_id, state, attempts, next_attempt_at,
                                delivered_at, created_at, last_status)
  SELECT d.id, d.event_id, e.id, e.organization_id, CASE WHEN d.pending THEN 'pending' ELSE 'delivered' END,
         CASE WHEN d.pending THEN 0 ELSE 1 END, CASE WHEN d.pending THEN now() ELSE d.created_at END,
         CASE WHEN d.pending THEN NULL ELSE d.created_at END, d.created_at, CASE WHEN d.pending THEN NULL ELSE 200 END
  FROM delivery_clones d JOIN endpoints e ON e.n = d.endpoint_n;
VACUUM ANALYZE orders, payment_authorizations, order_history, outbox_events, webhook_deliveries, webhook_endpoints;
SQL
count() { psql "$server_url/$database" -Atc "$1"; }
echo "seeded in $(echo "$EPOCHREALTIME - $started" | bc | cut -c1-5) s: $(count "SELECT count(*) FROM stores") stores," \
  "$(count "SELECT count(*) FROM orders") orders," \
  "$(count "SELECT count(*) FROM webhook_deliveries") deliveries ($(count "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'") pending)"

for cap in ${SCALE_CAPS:-1000}; do
  echo
  echo "## the city, MARKETFRONT_DISCOVERY_COUNT_CAP=$cap ($(date -u +%FT%TZ))"
  run MARKETFRONT_DISCOVERY_COUNT_CAP="$cap"
done
