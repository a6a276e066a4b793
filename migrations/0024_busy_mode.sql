-- Busy mode (issue 17): a store still taking orders, each ready later by its kitchen's extra
-- minutes, until `resume_at` or further notice. Paused keeps its reason; busy has none.
ALTER TABLE stores ADD COLUMN extra_preparation_minutes integer;
ALTER TABLE stores DROP CONSTRAINT stores_status_check;
ALTER TABLE stores DROP CONSTRAINT stores_check;
ALTER TABLE stores ADD CONSTRAINT stores_status_check CHECK (status IN ('online', 'paused', 'busy'));
ALTER TABLE stores ADD CONSTRAINT stores_status_fields CHECK (
    (status = 'paused' AND extra_preparation_minutes IS NULL)
    OR (status = 'busy' AND pause_reason IS NULL AND extra_preparation_minutes > 0)
    OR (status = 'online' AND pause_reason IS NULL AND resume_at IS NULL AND extra_preparation_minutes IS NULL)
);
-- The resumer ends busy spells as it ends pauses.
DROP INDEX stores_resume_due;
CREATE INDEX stores_resume_due ON stores (resume_at) WHERE status IN ('paused', 'busy') AND resume_at IS NOT NULL;
