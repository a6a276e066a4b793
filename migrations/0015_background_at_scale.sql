-- Background work at scale (issue 14): each sweep reads only the rows it acts on, through a
-- partial index, a batch at a time.

-- The reaper deletes finished keys past their retention; unfinished ones are the completer's
-- (idempotency_keys_unfinished). Keys under way are few, finished ones are millions.
CREATE INDEX idempotency_keys_finished_expiry ON idempotency_keys (expires_at) WHERE recovery_point = 'finished';
DROP INDEX idempotency_keys_expiry;
