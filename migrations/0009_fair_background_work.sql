-- Fair background work (issue 11): one organisation's slow or dead endpoints may delay only
-- their own deliveries.

-- A circuit per endpoint: after enough failures in a row the dispatcher stops trying it until
-- `circuit_open_until`, then lets one probe through; a success closes it again.
ALTER TABLE webhook_endpoints
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN circuit_open_until timestamptz;

-- The dispatcher claims per endpoint (its oldest due deliveries) and counts what each endpoint
-- has in flight; both are index lookups. `locked_until` is cleared when an attempt is recorded,
-- so the in-flight index holds only attempts under way (or abandoned by a dead worker).
CREATE INDEX webhook_deliveries_due_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries (endpoint_id) WHERE locked_until IS NOT NULL;

-- Deleting an endpoint drops its deliveries with it.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey,
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id)
        REFERENCES webhook_endpoints (id) ON DELETE CASCADE;

-- Catalog fetches count what each organisation has in flight.
CREATE INDEX catalog_ingestions_in_flight ON catalog_ingestions (organization_id) WHERE status = 'fetching';
CREATE INDEX store_onboardings_in_flight ON store_onboardings (organization_id) WHERE locked_until IS NOT NULL;

-- An onboarding remembers the endpoint its activation created or reused; the endpoint may be
-- deleted later without rewriting the onboarding's history.
ALTER TABLE store_onboardings DROP CONSTRAINT store_onboardings_webhook_endpoint_id_fkey,
    ADD CONSTRAINT store_onboardings_webhook_endpoint_id_fkey FOREIGN KEY (webhook_endpoint_id)
        REFERENCES webhook_endpoints (id) ON DELETE SET NULL;
