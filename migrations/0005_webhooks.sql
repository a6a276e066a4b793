-- Webhooks: each organisation's endpoints, and one delivery per (event, endpoint), created in
-- the same transaction as the event (so nothing is lost) and worked off by the dispatcher.

CREATE TABLE webhook_endpoints (
    id                          uuid PRIMARY KEY,
    organization_id             uuid NOT NULL REFERENCES organizations (id),
    url                         text NOT NULL,
    event_types                 text[] NOT NULL,
    -- Signing keys must be usable, so they are stored as issued (`whsec_…`), never logged.
    secret                      text NOT NULL,
    -- During a rotation's overlap both secrets sign.
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    enabled                     boolean NOT NULL DEFAULT true,
    disabled_reason             text,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_by_organization ON webhook_endpoints (organization_id);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    event_id         uuid NOT NULL REFERENCES outbox_events (id),
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id),
    -- pending (due at next_attempt_at), delivered, or dead (out of attempts, or the endpoint
    -- answered 410 Gone).
    state            text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    locked_until     timestamptz,
    last_status      integer,
    last_error       text,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
