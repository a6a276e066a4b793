-- Saved payment methods (issue 15): a session user's cards, as the vault returned them. Only
-- what a person needs to recognise a card is kept (brand, last four, expiry), and the vault's
-- reference to charge it by, sealed like card tokens. Never the number, never the CVC.
CREATE TABLE payment_methods (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    partner_user_id  text NOT NULL,
    brand            text NOT NULL,
    last_four        text NOT NULL CHECK (last_four ~ '^[0-9]{4}$'),
    exp_year         int NOT NULL,
    exp_month        int NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    vault_reference  text NOT NULL,
    created_at       timestamptz NOT NULL,
    -- Removed by the user: no longer listed or usable, kept for the orders that used it.
    deleted_at       timestamptz
);
CREATE INDEX payment_methods_owner ON payment_methods (organization_id, partner_user_id, created_at)
    WHERE deleted_at IS NULL;
