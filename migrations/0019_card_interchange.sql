-- Card-on-file interchange (issue 15): which processors' card tokens a distribution partner may
-- pay with, set up per organisation before use (`marketfront interchange enable`). A new
-- organisation has none; every distribution organisation that exists now keeps paying with
-- stripe as it did, so no partner breaks.
CREATE TABLE card_interchange (
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    processor        text NOT NULL CHECK (processor IN ('stripe', 'braintree', 'square', 'adyen', 'clover')),
    enabled_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, processor)
);

INSERT INTO card_interchange (organization_id, processor, enabled_at)
    SELECT id, 'stripe', now() FROM organizations WHERE kind = 'distribution';
