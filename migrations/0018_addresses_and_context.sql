-- Saved addresses and each session's fulfilment context (issue 15). An address belongs to a
-- session's user (organisation + partnerUserId) or, for an anonymous session, to the session;
-- its id is a hash of its owner and its normalised fields (domain::address), so saving it
-- again finds the same row.
CREATE TABLE saved_addresses (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    partner_user_id  text,
    session_id       uuid REFERENCES sessions (id) ON DELETE CASCADE,
    address          jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    CHECK ((partner_user_id IS NULL) <> (session_id IS NULL))
);
CREATE INDEX saved_addresses_user ON saved_addresses (organization_id, partner_user_id, created_at)
    WHERE partner_user_id IS NOT NULL;
CREATE INDEX saved_addresses_session ON saved_addresses (session_id, created_at) WHERE session_id IS NOT NULL;

-- One per session; gone with it.
CREATE TABLE fulfillment_contexts (
    session_id  uuid PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    mode        text NOT NULL CHECK (mode IN ('Pickup', 'DeliveryByMerchant')),
    address_id  uuid REFERENCES saved_addresses (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL
);
