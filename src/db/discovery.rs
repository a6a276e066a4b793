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
    sqlx::query(
        "INSERT INTO discovery_entries (store_id, location, delivery_allowed, pickup_allowed, delivery_reach,
             paused, resume_at, time_zone, open_hours, cuisines, name_words, cuisine_words, menu_words,
             items_by_word, listed)
         VALUES ($1, cube($2::float8[]), $3, $4, $5, $6, $7, known_time_zone($8), $9::text::int4multirange, $10,
                 array_to_tsvector($11::text[]), array_to_tsvector($12::text[]), ''::tsvector, '{}'::jsonb, false)
         ON CONFLICT (store_id) DO UPDATE SET
             location = EXCLUDED.location, delivery_allowed = EXCLUDED.delivery_allowed,
             pickup_allowed = EXCLUDED.pickup_allowed, delivery_reach = EXCLUDED.delivery_reach,
             paused = EXCLUDED.paused, resume_at = EXCLUDED.resume_at, time_zone = EXCLUDED.time_zone,
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

/// The stores a checked query finds (the page asked for) and how many match, counted up to
/// `cap` + 1, in one statement.
///
/// The scan is nearest-first through the location index and stops after `cap` + 1
/// matches, so its cost is bounded whatever the number of stores; the radius is applied to
/// what it found (rows come nearest first, so beyond the radius is a tail). Results rank by
/// relevance (a query word in the name counts 3, in the cuisines 2, on the menu 1), then
/// distance, then id.
pub async fn find(
    conn: &mut PgConnection,
    query: &Discovery,
    text: Option<&Resolved>,
    cap: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<(Vec<Hit>, i64)> {
    let point = query.near.map(|(lat, lon)| unit_vector(lat, lon).to_vec());
    let delivery = query.fulfillment.map(|kind| kind == FulfillmentType::DeliveryByMerchant);
    let (order, distance) = match point {
        Some(_) => ("e.location <-> cube($1::float8[])", "e.location <-> cube($1::float8[])"),
        None => ("e.store_id", "NULL::float8"),
    };
    let (text_filter, rank) = match text {
        Some(_) => (
            "AND (e.name_words || e.cuisine_words || e.menu_words) @@ $4::tsquery",
            "(SELECT coalesce(sum(CASE WHEN h.name_words @@ q THEN 3 WHEN h.cuisine_words @@ q THEN 2 ELSE 1 END), 0)
              FROM unnest($5::text[]::tsquery[]) q)",
        ),
        None => ("", "0::int8"),
    };
    // Each shape is its own statement text, so the plan cached for it was made under the
    // settings this shape always runs with (below).
    let cuisine_filter = if query.cuisine.is_some() { "AND $6 = ANY (e.cuisines)" } else { "AND $6::text IS NULL" };
    let sql = format!(
        "WITH hits AS MATERIALIZED (
            SELECT e.store_id, {distance} AS chord, e.name_words, e.cuisine_words
            FROM discovery_entries e
            WHERE e.listed
              AND ($3::boolean IS NULL
                   OR ($3 AND e.delivery_allowed AND ($1::float8[] IS NULL OR {distance} <= e.delivery_reach))
                   OR (NOT $3 AND e.pickup_allowed))
              {cuisine_filter}
              AND (NOT $7 OR (NOT (e.paused AND (e.resume_at IS NULL OR e.resume_at > $8))
                   AND e.time_zone IS NOT NULL
                   AND e.open_hours @> ((extract(isodow FROM $8 AT TIME ZONE e.time_zone)::int - 1) * 86400
                                        + floor(extract(epoch FROM ($8 AT TIME ZONE e.time_zone)::time))::int)))
              {text_filter}
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
         SELECT t.n AS total, p.chord, p.rank,
                s.id, s.organization_id, s.details, s.status, s.pause_reason, s.resume_at,
                c.id AS catalog_set_id, s.version, s.created_at, s.updated_at,
                (SELECT jsonb_object_agg(w, e.items_by_word -> w) FROM unnest($12::text[]) w
                 WHERE e.items_by_word ? w) AS matched
         FROM total t
         LEFT JOIN (page p
                    JOIN stores s ON s.id = p.store_id
                    JOIN catalog_sets c ON c.store_id = p.store_id
                    JOIN discovery_entries e ON e.store_id = p.store_id) ON true
         ORDER BY p.rank DESC, p.chord NULLS LAST, p.store_id"
    );
    // Without text or a cuisine, every listed store is a candidate and the nearest-first scan
    // is always the plan to use (it stops after cap + 1 matches), but the planner cannot know
    // how many stores are open now or deliver here: it guesses a small fraction, then scans
    // and sorts them all (BENCHMARKS.md, the city table). So that shape runs with the
    // alternatives off, local to its transaction; a plan is cached per statement text, and
    // each shape's text always runs with the same settings. With text or a cuisine the
    // planner's choice stands: a rare word is cheapest through its own index.
    // The nearest-first shape also keeps one generic plan: with the alternatives off there is
    // nothing for a custom plan to choose, so planning each request would be pure cost
    // (BENCHMARKS.md, the A/B of 2026-12-03). Text keeps custom plans: its best plan depends on
    // how rare the word is.
    let force_nearest = point.is_some() && text.is_none() && query.cuisine.is_none();
    let statement = sqlx::query(&sql)
        .bind(point)
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
    let rows = if force_nearest {
        let mut tx = conn.begin().await?;
        sqlx::query("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)")
            .execute(&mut *tx)
            .await?;
        let rows = statement.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rows
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
