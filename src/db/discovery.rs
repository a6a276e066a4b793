//! The discovery index: one narrow row per store (`discovery_entries`), written in the
//! transaction that changes the store or its menu, and the vocabulary of words typos are
//! corrected to. Discovery's own query is built at run time from a few fixed shapes (with or
//! without a point, with or without text, with or without a cuisine), so each shape gets a plan that fits it; the
//! black-box discovery tests run every shape.

use super::stores::StoreRow;
use crate::domain::discovery::{Discovery, Entry, MenuEntry};
use crate::domain::geo::{chord_of_km, unit_vector};
use crate::domain::order::FulfillmentType;
use crate::domain::search::{Candidate, Resolved, TextQuery};
use crate::domain::store::Store;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Connection, FromRow, PgConnection, Row};
use std::collections::BTreeMap;
use uuid::Uuid;

/// `{[a,b),[c,d)}`: the literal of an `int4multirange` (sqlx has no binding for the type).
fn multirange(ranges: &[(i32, i32)]) -> String {
    let inner: Vec<String> = ranges.iter().map(|(start, end)| format!("[{start},{end})")).collect();
    format!("{{{}}}", inner.join(","))
}

/// Writes the store's part of its entry (position, fulfilment, pause, hours, name and
/// cuisines), creating the entry unlisted if the store has no menu yet, and adds its words to
/// the vocabulary.
pub async fn index_store(conn: &mut PgConnection, store: &Store) -> sqlx::Result<()> {
    let entry = Entry::of(store);
    // Numbered once per zone; a zone Postgres does not know gets no number (never open now).
    // Only a zone not numbered yet is inserted: an insert that conflicts still uses up a
    // number, and openNow's array of zones is as long as the highest number.
    sqlx::query(
        "INSERT INTO discovery_time_zones (name)
         SELECT known_time_zone($1)
         WHERE known_time_zone($1) IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM discovery_time_zones WHERE name = known_time_zone($1))
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(&entry.time_zone)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO discovery_entries (store_id, location, delivery_allowed, pickup_allowed, delivery_reach,
             paused, resume_at, time_zone_id, open_hours, cuisines, name_words, cuisine_words, menu_words,
             items_by_word, listed)
         VALUES ($1, cube($2::float8[]), $3, $4, $5, $6, $7,
                 (SELECT id FROM discovery_time_zones WHERE name = known_time_zone($8)), $9::text::int4multirange, $10,
                 array_to_tsvector($11::text[]), array_to_tsvector($12::text[]), ''::tsvector, '{}'::jsonb, false)
         ON CONFLICT (store_id) DO UPDATE SET
             location = EXCLUDED.location, delivery_allowed = EXCLUDED.delivery_allowed,
             pickup_allowed = EXCLUDED.pickup_allowed, delivery_reach = EXCLUDED.delivery_reach,
             paused = EXCLUDED.paused, resume_at = EXCLUDED.resume_at, time_zone_id = EXCLUDED.time_zone_id,
             open_hours = EXCLUDED.open_hours, cuisines = EXCLUDED.cuisines, name_words = EXCLUDED.name_words,
             cuisine_words = EXCLUDED.cuisine_words",
    )
    .bind(store.id)
    .bind(entry.location.to_vec())
    .bind(entry.delivery_allowed)
    .bind(entry.pickup_allowed)
    .bind(entry.delivery_reach)
    .bind(entry.paused)
    .bind(entry.resume_at)
    .bind(&entry.time_zone)
    .bind(multirange(&entry.open_hours))
    .bind(&entry.cuisines)
    .bind(&entry.name_words)
    .bind(&entry.cuisine_words)
    .execute(&mut *conn)
    .await?;
    let words: Vec<String> = entry.name_words.iter().chain(&entry.cuisine_words).cloned().collect();
    add_words(conn, words).await
}

/// Writes the menu's part of a store's entry and lists the store; the store's part must exist
/// (the store is written first, in this or an earlier transaction).
pub async fn index_menu(conn: &mut PgConnection, store_id: Uuid, menu: &MenuEntry) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE discovery_entries SET menu_words = array_to_tsvector($2::text[]), items_by_word = $3, listed = true
         WHERE store_id = $1",
    )
    .bind(store_id)
    .bind(&menu.words)
    .bind(Json(&menu.items_by_word))
    .execute(&mut *conn)
    .await?;
    add_words(conn, menu.words.clone()).await
}

/// Adds words to the vocabulary. Sorted, so two transactions adding overlapping words take
/// their key locks in one order and cannot deadlock.
async fn add_words(conn: &mut PgConnection, mut words: Vec<String>) -> sqlx::Result<()> {
    words.sort();
    words.dedup();
    sqlx::query(
        "INSERT INTO search_words (word) SELECT w FROM unnest($1::text[]) w ORDER BY w ON CONFLICT (word) DO NOTHING",
    )
    .bind(&words)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores that have no entry yet (written before the index existed), a batch at a time.
pub async fn unindexed(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT s.id FROM stores s WHERE NOT EXISTS (SELECT 1 FROM discovery_entries e WHERE e.store_id = s.id)
         ORDER BY s.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The indexed words each query word may stand for: the nearest look-alikes by trigrams, and
/// for the word being typed, its completions.
pub async fn candidates(conn: &mut PgConnection, query: &TextQuery) -> sqlx::Result<Vec<Candidate>> {
    let completing = (0..query.words.len()).find(|&i| query.completes(i)).map_or(0, |i| i as i64 + 1);
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT q.position, v.word, v.completion
         FROM unnest($1::text[]) WITH ORDINALITY AS q (asked, position)
         CROSS JOIN LATERAL (
             (SELECT w.word, false AS completion FROM search_words w ORDER BY w.word <-> q.asked LIMIT 12)
             UNION ALL
             (SELECT w.word, true FROM search_words w
              WHERE q.position = $2 AND w.word ~>=~ q.asked AND w.word ~<~ (q.asked || chr(1114111))
              ORDER BY length(w.word), w.word LIMIT 10)
         ) v",
    )
    .bind(&query.words)
    .bind(completing)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(position, word, completion)| Candidate { position: (position - 1) as usize, word, completion })
        .collect())
}

/// One store found: its row, its distance as a chord, and the item names per matched word.
pub struct Hit {
    pub store: Store,
    pub chord: Option<f64>,
    pub items_by_word: BTreeMap<String, Vec<String>>,
}

/// What a store must be to match, whatever the shape: listed, offering the fulfilment asked
/// (delivery only where the point is within its reach), and with `openNow` not paused and
/// inside its hours. `{distance}` is the chord to the point, or NULL without one. The zones'
/// seconds are one value for the whole statement (a scalar subquery), not one per store.
const MATCHES: &str = "e.listed
    AND ($3::boolean IS NULL
         OR ($3 AND e.delivery_allowed AND ($1::float8[] IS NULL OR {distance} <= e.delivery_reach))
         OR (NOT $3 AND e.pickup_allowed))
    AND (NOT $7 OR (NOT (e.paused AND (e.resume_at IS NULL OR e.resume_at > $8))
                    AND e.open_hours @> ((SELECT zone_week_seconds($8)))[e.time_zone_id]))";

/// The stores a checked query finds (the page asked for) and how many match, counted up to
/// `cap` + 1, in one statement.
///
/// Near a point without text or a cuisine, the page is the nearest matches (a nearest-first
/// scan that stops after the page) and the count is a bounding-box scan of the same index
/// (for delivery, no wider than the longest reach) that stops after `cap` + 1 matches; every
/// column either filters on is in the index. Otherwise the scan is nearest-first (or by id)
/// and stops after `cap` + 1 matches, and the page is ranked among them: by relevance (a query
/// word in the name counts 3, in the cuisines 2, on the menu 1), then distance, then id. Either
/// way rows come nearest first, so the radius cuts a tail and the cost is bounded whatever the
/// number of stores.
pub async fn find(
    conn: &mut PgConnection,
    query: &Discovery,
    text: Option<&Resolved>,
    cap: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<(Vec<Hit>, i64)> {
    let point = query.near.map(|(lat, lon)| unit_vector(lat, lon).to_vec());
    let delivery = query.fulfillment.map(|kind| kind == FulfillmentType::DeliveryByMerchant);
    let nearest = point.is_some() && text.is_none() && query.cuisine.is_none();
    let sql =
        if nearest { nearest_sql() } else { ranked_sql(point.is_some(), text.is_some(), query.cuisine.is_some()) };
    let statement = sqlx::query(&sql)
        .bind(point.clone())
        .bind(chord_of_km(query.radius_km))
        .bind(delivery)
        .bind(text.map(Resolved::query))
        .bind(text.map(Resolved::word_queries).unwrap_or_default())
        .bind(&query.cuisine)
        .bind(query.open_now)
        .bind(now)
        .bind(cap)
        // Pages end at the cap: the rows past it were never counted.
        .bind(query.page.limit.min(cap.saturating_sub(query.page.offset)).max(0))
        .bind(query.page.offset.min(cap))
        .bind(text.map(Resolved::all_words).unwrap_or_default());
    // The nearest shape's plan is always the two index scans, but the planner cannot know how
    // many stores are open now or deliver here: it guesses a small fraction, then scans and
    // sorts them all (BENCHMARKS.md, the city table). So that shape runs with the alternatives
    // off, local to its transaction, and keeps one generic plan (with nothing left to choose,
    // planning each request would be pure cost: BENCHMARKS.md, the A/B of 2026-12-03). A plan
    // is cached per statement text, and each shape's text always runs with the same settings.
    // With text or a cuisine the planner's choice stands: a rare word is cheapest through its
    // own index, and how rare it is differs per request.
    let rows = if nearest {
        // One round trip for BEGIN and the settings; the transaction wrote nothing, so it is
        // dropped rather than committed, and its ROLLBACK goes out with the connection's
        // check on release instead of costing this request a round trip of its own.
        let mut tx = conn
            .begin_with(
                "BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; \
                 SET LOCAL plan_cache_mode = force_generic_plan",
            )
            .await?;
        statement.fetch_all(&mut *tx).await?
    } else {
        statement.fetch_all(conn).await?
    };
    let mut total = 0;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        total = row.try_get("total")?;
        if row.try_get::<Option<Uuid>, _>("id")?.is_none() {
            continue;
        }
        let matched: Option<Json<BTreeMap<String, Vec<String>>>> = row.try_get("matched")?;
        hits.push(Hit {
            store: StoreRow::from_row(&row)?.into(),
            chord: row.try_get("chord")?,
            items_by_word: matched.map(|m| m.0).unwrap_or_default(),
        });
    }
    Ok((hits, total))
}

/// The page's stores with their rows, after `total` and a `page (store_id, chord, rank)`.
const PAGE_ROWS: &str = "SELECT t.n AS total, p.chord, p.rank,
        s.id, s.organization_id, s.details, s.status, s.pause_reason, s.resume_at, s.extra_preparation_minutes,
        c.id AS catalog_set_id, s.version, s.created_at, s.updated_at,
        (SELECT jsonb_object_agg(w, e.items_by_word -> w) FROM unnest($12::text[]) w
         WHERE e.items_by_word ? w) AS matched
 FROM total t
 LEFT JOIN (page p
            JOIN stores s ON s.id = p.store_id
            JOIN catalog_sets c ON c.store_id = p.store_id
            JOIN discovery_entries e ON e.store_id = p.store_id) ON true
 ORDER BY p.rank DESC, p.chord NULLS LAST, p.store_id";

/// Near a point, no text, no cuisine: the page nearest first, the count by bounding box.
fn nearest_sql() -> String {
    let distance = "e.location <-> cube($1::float8[])";
    let matches = MATCHES.replace("{distance}", distance);
    format!(
        "WITH nearest AS MATERIALIZED (
            SELECT e.store_id, {distance} AS chord
            FROM discovery_entries e
            WHERE {matches}
            ORDER BY {distance}
            LIMIT $10 + $11
         ),
         page AS (
            SELECT n.store_id, n.chord, 0::int8 AS rank FROM nearest n WHERE n.chord <= $2
            ORDER BY n.chord, n.store_id OFFSET $11
         ),
         total AS (
            SELECT count(*) AS n FROM (
                SELECT 1 FROM discovery_entries e
                WHERE {matches}
                  AND e.location <@ cube_enlarge(cube($1::float8[]),
                          CASE WHEN $3 THEN least($2, (SELECT max(r.delivery_reach) FROM discovery_entries r
                                                       WHERE r.listed AND r.delivery_allowed))
                               ELSE $2 END, 3)
                  AND {distance} <= $2
                LIMIT $9 + 1
            ) counted
         )
         {PAGE_ROWS}"
    )
}

/// Every other shape: the nearest (or first by id) `cap` + 1 matches, ranked.
fn ranked_sql(near: bool, text: bool, cuisine: bool) -> String {
    let (order, distance) = if near {
        ("e.location <-> cube($1::float8[])", "e.location <-> cube($1::float8[])")
    } else {
        ("e.store_id", "NULL::float8")
    };
    let (text_filter, rank) = if text {
        (
            "AND (e.name_words || e.cuisine_words || e.menu_words) @@ $4::tsquery",
            "(SELECT coalesce(sum(CASE WHEN h.name_words @@ q THEN 3 WHEN h.cuisine_words @@ q THEN 2 ELSE 1 END), 0)
              FROM unnest($5::text[]::tsquery[]) q)",
        )
    } else {
        ("", "0::int8")
    };
    let cuisine_filter = if cuisine { "AND $6 = ANY (e.cuisines)" } else { "AND $6::text IS NULL" };
    let matches = MATCHES.replace("{distance}", distance);
    format!(
        "WITH hits AS MATERIALIZED (
            SELECT e.store_id, {distance} AS chord, e.name_words, e.cuisine_words
            FROM discovery_entries e
            WHERE {matches} {cuisine_filter} {text_filter}
            ORDER BY {order}
            LIMIT $9 + 1
         ),
         within AS (
            SELECT h.store_id, h.chord, {rank} AS rank FROM hits h WHERE h.chord IS NULL OR h.chord <= $2
         ),
         total AS (SELECT count(*) AS n FROM within),
         page AS (
            SELECT * FROM within ORDER BY rank DESC, chord NULLS LAST, store_id LIMIT $10 OFFSET $11
         )
         {PAGE_ROWS}"
    )
}
