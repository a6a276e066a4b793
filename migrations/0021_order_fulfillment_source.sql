-- Whether an order's fulfilment was the request's or its session's fulfilment context's
-- (issue 15): validate records it in the token, place keeps it on the order and says it.
ALTER TABLE orders ADD COLUMN fulfillment_source text NOT NULL DEFAULT 'request'
    CHECK (fulfillment_source IN ('request', 'context', 'default'));
