-- Order Booster onboarding (seed 003): a commerce partner registers a new store with its
-- details and where its menu lives; the server pulls and checks the menu in the background,
-- and the partner activates the result into a live store.
--
-- While `fetching_catalog` the row is also a durable job, claimed like a catalog pull with
-- FOR UPDATE SKIP LOCKED: `locked_until` is the claim's lease, and `claim_id` names the claim so
-- that a worker whose lease ran out cannot overwrite what a later claim (or the partner) did.
CREATE TABLE store_onboardings (
    id                    uuid PRIMARY KEY,
    organization_id       uuid NOT NULL REFERENCES organizations (id),
    partner_store_id      text NOT NULL,
    details               jsonb NOT NULL,
    catalog_callback_url  text NOT NULL,
    webhook_url           text NOT NULL,
    status                text NOT NULL CHECK (status IN
                              ('fetching_catalog', 'catalog_failed', 'ready_to_activate', 'active', 'cancelled')),
    attempts              integer NOT NULL DEFAULT 0,
    next_attempt_at       timestamptz,
    locked_until          timestamptz,
    claim_id              uuid,
    last_error            text,
    errors                jsonb NOT NULL DEFAULT '[]',
    -- The fetched catalog set once it passed every check, until activation makes it live (then
    -- it is the store's catalog set, and only its id stays here). Read by activation alone.
    catalog               jsonb,
    catalog_set_id        uuid,
    store_id              uuid REFERENCES stores (id),
    webhook_endpoint_id   uuid REFERENCES webhook_endpoints (id),
    -- Every status the onboarding has been in: [{status, at, detail?}], oldest first.
    history               jsonb NOT NULL DEFAULT '[]',
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CHECK ((status = 'ready_to_activate') = (catalog IS NOT NULL)),
    CHECK ((status IN ('ready_to_activate', 'active')) = (catalog_set_id IS NOT NULL)),
    CHECK ((status = 'active') = (store_id IS NOT NULL))
);

-- One onboarding per partner store id at a time: registering it again returns this one. A
-- cancelled onboarding frees the id for a new registration.
CREATE UNIQUE INDEX store_onboardings_partner_store ON store_onboardings (organization_id, partner_store_id)
    WHERE status <> 'cancelled';
CREATE INDEX store_onboardings_due ON store_onboardings (next_attempt_at) WHERE status = 'fetching_catalog';
CREATE INDEX store_onboardings_organization ON store_onboardings (organization_id, created_at, id);
