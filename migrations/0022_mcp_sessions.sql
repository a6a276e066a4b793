-- MCP conversations (issue 16). rmcp keeps a live session in the memory of the instance that
-- serves it; this row is what lets any instance take the conversation over: the client's
-- `initialize` (replayed to restore the session), who it belongs to, and what the agent has
-- built so far (the cart, whether the person confirmed pickup or delivery). The fulfilment
-- context itself is the SDK session's (fulfillment_contexts), shared with the REST doors.
CREATE TABLE mcp_sessions (
    id                        text PRIMARY KEY,
    -- Null until the `initialize` answer is on its way; a row without an owner serves nobody.
    organization_id           uuid REFERENCES organizations (id),
    -- The SDK session whose token opened it; gone with that session.
    session_id                uuid REFERENCES sessions (id) ON DELETE CASCADE,
    partner_user_id           text,
    initialize_params         jsonb,
    cart                      jsonb,
    -- Bumped by every cart change, so that two tool calls racing on one cart cannot lose one.
    cart_version              bigint NOT NULL DEFAULT 0,
    fulfillment_confirmed_at  timestamptz,
    created_at                timestamptz NOT NULL,
    last_used_at              timestamptz NOT NULL
);
-- The reaper deletes sessions idle past their limit, oldest first.
CREATE INDEX mcp_sessions_idle ON mcp_sessions (last_used_at);

-- What placeOrder showed a client without elicitation, waiting for the person's yes: bound to
-- the exact validated order (by its token's hash), its total and the card. Only the hash of
-- the confirmationId is kept, as for tokens and keys.
CREATE TABLE mcp_confirmations (
    id_hash         bytea PRIMARY KEY,
    mcp_session_id  text NOT NULL REFERENCES mcp_sessions (id) ON DELETE CASCADE,
    token_hash      bytea NOT NULL,
    payment         jsonb NOT NULL,
    total           numeric NOT NULL,
    currency        text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX mcp_confirmations_session ON mcp_confirmations (mcp_session_id);
CREATE INDEX mcp_confirmations_expiry ON mcp_confirmations (expires_at);
