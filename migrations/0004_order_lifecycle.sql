-- The order's life after placement: every change bumps `orders.version` and is recorded here,
-- one row per version, so the history is a complete, ordered account of what happened.
ALTER TABLE orders
    ADD COLUMN cancel_reason text,
    ADD COLUMN closed_at     timestamptz,
    -- When the money followed the close (captured, voided or refunded, or nothing to do).
    ADD COLUMN settled_at    timestamptz;

CREATE TABLE order_history (
    order_id      uuid NOT NULL REFERENCES orders (id),
    version       bigint NOT NULL,
    state         text NOT NULL,
    status        text NOT NULL,
    payment_state text NOT NULL,
    -- 'marketfront' for the server's own changes, else the commerce organisation's id.
    changed_by    text NOT NULL,
    changed_at    timestamptz NOT NULL,
    note          text,
    PRIMARY KEY (order_id, version)
);

-- Closed orders whose money has not followed yet (capture on completion, void or refund on
-- cancellation): the order keeper's work list, which an order leaves once settled, so the
-- keeper's pass stays as small as the backlog rather than growing with every order ever closed.
CREATE INDEX orders_unsettled ON orders (closed_at) WHERE state <> 'open' AND settled_at IS NULL;
-- Placed orders still waiting for the restaurant to confirm them.
CREATE INDEX orders_awaiting_confirmation ON orders (placed_at) WHERE placement = 'placed' AND state = 'open' AND status = 'pending';
