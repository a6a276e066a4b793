-- Lists page by keyset cursor: each list's filter and order is one index range, so page 1,000
-- reads what page 1 reads.

-- A session user's orders: without the user in the index, a user's page would walk the whole
-- organisation's orders to find theirs.
CREATE INDEX orders_by_partner_user ON orders (organization_id, partner_user_id, placed_at DESC, id DESC)
    WHERE placement = 'placed';

-- Deliveries are listed per organisation, across its endpoints: the organisation is copied onto
-- each delivery (an endpoint never changes hands) so one index orders them all.
ALTER TABLE webhook_deliveries ADD COLUMN organization_id uuid;
UPDATE webhook_deliveries d SET organization_id = e.organization_id
FROM webhook_endpoints e WHERE e.id = d.endpoint_id;
ALTER TABLE webhook_deliveries ALTER COLUMN organization_id SET NOT NULL;
CREATE INDEX webhook_deliveries_by_organization ON webhook_deliveries (organization_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_by_organization_state
    ON webhook_deliveries (organization_id, state, created_at DESC, id DESC);

CREATE INDEX store_onboardings_by_status ON store_onboardings (organization_id, status, created_at, id);
