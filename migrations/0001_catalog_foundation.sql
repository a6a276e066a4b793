-- Organisations, their API keys, stores, catalog sets and catalog pulls.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('distribution', 'commerce')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Keys are stored only as a SHA-256 of the whole key; `prefix` is the non-secret part shown in
-- listings and used to revoke or roll a key.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    prefix           text NOT NULL UNIQUE,
    key_hash         bytea NOT NULL UNIQUE,
    label            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    revoked_at       timestamptz,
    replaced_by      uuid REFERENCES api_keys (id)
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

-- `details` is the partner's store description as validated; the columns beside it are the
-- parts that queries filter or sort on.
CREATE TABLE stores (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id),
    details             jsonb NOT NULL,
    latitude            double precision NOT NULL,
    longitude           double precision NOT NULL,
    delivery_allowed    boolean NOT NULL,
    pickup_allowed      boolean NOT NULL,
    delivery_radius_km  double precision NOT NULL,
    search_text         text NOT NULL,
    status              text NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'paused')),
    pause_reason        text,
    resume_at           timestamptz,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CHECK (status = 'paused' OR (pause_reason IS NULL AND resume_at IS NULL))
);
CREATE INDEX stores_organization ON stores (organization_id, id);
CREATE INDEX stores_resume_due ON stores (resume_at) WHERE status = 'paused' AND resume_at IS NOT NULL;

-- One live catalog set per store; a push replaces it whole.
CREATE TABLE catalog_sets (
    id           uuid PRIMARY KEY,
    store_id     uuid NOT NULL UNIQUE REFERENCES stores (id),
    document     jsonb NOT NULL,
    search_text  text NOT NULL,
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- A catalog pull requested through catalogset-notification: a durable job, claimed by any
-- server instance with FOR UPDATE SKIP LOCKED and reclaimed if its lease runs out.
CREATE TABLE catalog_ingestions (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    store_id         uuid NOT NULL REFERENCES stores (id),
    callback_url     text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'fetching', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    locked_until     timestamptz,
    last_error       text,
    errors           jsonb NOT NULL DEFAULT '[]',
    catalog_set_id   uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    completed_at     timestamptz
);
CREATE INDEX catalog_ingestions_due ON catalog_ingestions (next_attempt_at) WHERE status IN ('pending', 'fetching');
CREATE INDEX catalog_ingestions_organization ON catalog_ingestions (organization_id, created_at);
