-- Discovery through indexes (issue 14): a narrow row per store that discovery scans nearest
-- first, instead of computing a distance and a LIKE over every store's menu text per request.
-- Both extensions ship with Postgres (contrib) and are trusted.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Written by the application in the transaction that changes the store, its pause or its live
-- catalog set (db::discovery), so it is never staler than the rows it describes. Words are the
-- application's (domain::search::words), stored as lexemes as they are: the query side uses
-- the same function, so index and query cannot split or case a word differently.
CREATE TABLE discovery_entries (
    store_id            uuid PRIMARY KEY REFERENCES stores (id),
    -- The store's position as a unit vector from the Earth's centre (domain::geo::unit_vector):
    -- chord distance orders exactly as great-circle distance, and GiST answers nearest-first.
    location            cube NOT NULL,
    delivery_allowed    boolean NOT NULL,
    pickup_allowed      boolean NOT NULL,
    -- The delivery radius as a chord between unit vectors (domain::geo::chord_of_km), so the
    -- check is a comparison with the distance the scan computes anyway.
    delivery_reach      double precision NOT NULL,
    paused              boolean NOT NULL,
    resume_at           timestamptz,
    -- NULL when Postgres does not know the zone: such a store is never open now (fail-closed).
    time_zone           text,
    -- Open seconds of the week in local wall-clock time (domain::availability::week_ranges).
    open_hours          int4multirange NOT NULL,
    cuisines            text[] NOT NULL,
    name_words          tsvector NOT NULL,
    cuisine_words       tsvector NOT NULL,
    menu_words          tsvector NOT NULL,
    -- Up to five item names per menu word, for the results' matchedItems.
    items_by_word       jsonb NOT NULL,
    -- Whether the store has a live catalog set: only those are discovered.
    listed              boolean NOT NULL
);
CREATE INDEX discovery_entries_location ON discovery_entries USING gist (location) WHERE listed;
CREATE INDEX discovery_entries_words ON discovery_entries
    USING gin ((name_words || cuisine_words || menu_words)) WHERE listed;

-- The zone if Postgres knows it, else NULL: a zone the application accepted but this server's
-- time zone data lacks must close one store, not make every openNow query fail.
CREATE FUNCTION known_time_zone(zone text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM now() AT TIME ZONE zone;
    RETURN zone;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN NULL;
END
$$;

-- Every word some store has, for typo corrections (trigram look-alikes, nearest first) and for
-- completing the word being typed (prefix). Words are never removed: one left behind by a
-- changed menu only offers a correction that then matches no store.
CREATE TABLE search_words (
    word text PRIMARY KEY
);
CREATE INDEX search_words_trigrams ON search_words USING gist (word gist_trgm_ops);
CREATE INDEX search_words_prefix ON search_words (word text_pattern_ops);
