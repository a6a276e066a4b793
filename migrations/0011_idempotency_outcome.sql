-- The stored answer of an Idempotency-Key says what happened in the core's terms (the request
-- succeeded, or was refused with the problem kept in `response_body`), not as an HTTP status
-- and headers: every transport replays it in its own wire, and a keyed use case other than
-- place (cancel, refunds) stores its answers the same way.
ALTER TABLE idempotency_keys ADD COLUMN outcome text CHECK (outcome IN ('succeeded', 'refused'));
UPDATE idempotency_keys
   SET outcome = CASE WHEN response_status BETWEEN 200 AND 299 THEN 'succeeded' ELSE 'refused' END
 WHERE recovery_point = 'finished';
ALTER TABLE idempotency_keys
    ADD CONSTRAINT idempotency_keys_finished_has_outcome CHECK ((recovery_point = 'finished') = (outcome IS NOT NULL)),
    DROP COLUMN response_status,
    DROP COLUMN response_headers;
