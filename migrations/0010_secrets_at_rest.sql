-- Secrets at rest (issue 11): webhook signing secrets and card tokens are sealed by the
-- application (`secret_box`, key from MARKETFRONT_ENCRYPTION_KEY), which Postgres never sees.
-- Rows written before this change are sealed when a server starts; this index finds orders
-- whose card token is still in clear without reading every order, and is empty afterwards.
CREATE INDEX orders_unsealed_card_token ON orders (id)
    WHERE payment_method->>'type' = 'cardOnFile' AND payment_method->>'cardToken' NOT LIKE 'mfenc1:%';
