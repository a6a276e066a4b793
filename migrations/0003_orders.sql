-- Orders, their payment authorisations, the idempotency keys of place, and the outbox.

-- An order exists from the moment place has checked it and is about to ask for payment
-- (`placement = 'awaiting_payment'`); partners only ever see it once `placement = 'placed'`.
-- A payment that fails for good marks it `failed` and frees its token for another try.
CREATE TABLE orders (
    id                   uuid PRIMARY KEY,
    organization_id      uuid NOT NULL REFERENCES organizations (id),
    partner_user_id      text,
    store_id             uuid NOT NULL REFERENCES stores (id),
    store_organization_id uuid NOT NULL REFERENCES organizations (id),
    catalog_set_id       uuid NOT NULL,
    token_hash           bytea NOT NULL,
    idempotency_key      uuid NOT NULL,
    placement            text NOT NULL CHECK (placement IN ('awaiting_payment', 'placed', 'failed')),
    state                text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'completed', 'cancelled')),
    status               text NOT NULL DEFAULT 'pending',
    fulfillment_type     text NOT NULL,
    cart                 jsonb NOT NULL,
    delivery             jsonb,
    customer             jsonb NOT NULL,
    payment_method       jsonb NOT NULL,
    amounts              jsonb NOT NULL,
    total                numeric NOT NULL,
    currency             text NOT NULL,
    estimated_ready_at   timestamptz,
    version              bigint NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,
    placed_at            timestamptz,
    updated_at           timestamptz NOT NULL
);
-- One validated order backs at most one live order, however the idempotency keys are used or
-- reaped: the guarantee lives in the schema, not in the request flow.
CREATE UNIQUE INDEX orders_one_per_token ON orders (token_hash) WHERE placement <> 'failed';
CREATE INDEX orders_by_partner ON orders (organization_id, placed_at DESC, id DESC) WHERE placement = 'placed';
CREATE INDEX orders_by_store ON orders (store_id, placed_at DESC) WHERE placement = 'placed';

-- Our record of each authorisation asked of the processor. `processor_key` is derived from the
-- order id, so asking again (a retry, the completer) can never authorise twice.
CREATE TABLE payment_authorizations (
    order_id            uuid PRIMARY KEY REFERENCES orders (id),
    processor           text NOT NULL,
    processor_key       text NOT NULL UNIQUE,
    processor_reference text,
    amount              numeric NOT NULL,
    currency            text NOT NULL,
    state               text NOT NULL CHECK (state IN ('pending', 'authorized', 'declined', 'voided', 'captured', 'refunded')),
    failure             text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

-- Idempotency keys of place, scoped to the organisation. A request claims its key by holding
-- `locked_until` in the future; `recovery_point` records how far it got, so a retry or the
-- completer can carry on (or roll back) after a crash. Only final answers are kept for replay.
CREATE TABLE idempotency_keys (
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    key              uuid NOT NULL,
    fingerprint      bytea NOT NULL,
    recovery_point   text NOT NULL CHECK (recovery_point IN ('started', 'order_created', 'finished')),
    claim            uuid,
    locked_until     timestamptz,
    order_id         uuid REFERENCES orders (id),
    response_status  integer,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, key)
);
CREATE INDEX idempotency_keys_unfinished ON idempotency_keys (updated_at) WHERE recovery_point <> 'finished';
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Events to tell partners about, written in the same transaction as the change that caused
-- them; delivered (and retried) by the webhook dispatcher.
CREATE TABLE outbox_events (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    event_type      text NOT NULL,
    order_id        uuid REFERENCES orders (id),
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX outbox_events_by_order ON outbox_events (order_id);

-- The built-in sandbox processor's own ledger: it stands in for an external processor's
-- database, so it remembers idempotency keys across our restarts as a real one would.
CREATE TABLE sandbox_processor_ledger (
    idempotency_key text PRIMARY KEY,
    reference       text NOT NULL,
    amount          numeric NOT NULL,
    currency        text NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('approved', 'declined', 'voided', 'captured', 'refunded')),
    -- How many times the key was asked for: tests use it to prove a request never ran twice.
    requests        integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
