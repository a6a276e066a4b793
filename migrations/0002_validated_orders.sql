-- validatedOrderTokens, and the change feed that keeps every instance's catalog cache fresh.

-- A token is stored only as its SHA-256, with the priced order it was issued for. Written in
-- batches with synchronous_commit off: a token lost in a crash only makes the partner validate
-- again. Kept an hour past expiry so place can answer TOKEN_EXPIRED rather than TOKEN_INVALID.
CREATE TABLE validated_orders (
    token_hash       bytea PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    partner_user_id  text,
    store_id         uuid NOT NULL,
    catalog_set_id   uuid NOT NULL,
    snapshot         jsonb NOT NULL,
    total            numeric NOT NULL,
    currency         text NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    consumed_at      timestamptz,
    order_id         uuid
);
CREATE INDEX validated_orders_expiry ON validated_orders (expires_at);

-- Any write to a store or its catalog set, by any code path or instance, announces the store's
-- id when its transaction commits; every instance drops its cached copy on hearing it.
CREATE FUNCTION marketfront_announce_store_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid;
BEGIN
    IF TG_TABLE_NAME = 'stores' THEN
        changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    ELSE
        changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.store_id ELSE NEW.store_id END;
    END IF;
    PERFORM pg_notify('marketfront_store_changed', changed::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER stores_announce_change AFTER INSERT OR UPDATE OR DELETE ON stores
    FOR EACH ROW EXECUTE FUNCTION marketfront_announce_store_change();
CREATE TRIGGER catalog_sets_announce_change AFTER INSERT OR UPDATE OR DELETE ON catalog_sets
    FOR EACH ROW EXECUTE FUNCTION marketfront_announce_store_change();

-- Instances cache recently seen API keys; a revocation, roll or expiry change clears them all.
CREATE FUNCTION marketfront_announce_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('marketfront_keys_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_announce_change AFTER UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION marketfront_announce_key_change();
