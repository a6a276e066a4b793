-- SDK sessions as rows (issue 15), so a partner can end one at once on every instance. The
-- token still carries who the session speaks for (signed); the row holds only what the token
-- cannot: whether it was revoked. No name, email or phone is stored here.
CREATE TABLE sessions (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    partner_user_id  text NOT NULL,
    -- Whether the session has a user (it was given an email): placing, saved cards and order
    -- history need one.
    has_user         boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz
);
-- The reaper deletes sessions past their expiry, oldest first.
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Instances cache sessions they have seen live; a revocation announces the session's id, and
-- each instance forgets it. (A reaped row has expired, which its token says by itself.)
CREATE FUNCTION marketfront_announce_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('marketfront_session_changed', NEW.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_announce_change AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
    EXECUTE FUNCTION marketfront_announce_session_change();
