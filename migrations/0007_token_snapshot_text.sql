-- The priced order behind a validatedOrderToken is written on validate's hot path and only ever
-- read back whole by place, never queried inside. As jsonb, Postgres parsed and re-encoded every
-- snapshot on insert, most of its CPU per token; as text it stores the bytes the server wrote.
ALTER TABLE validated_orders ALTER COLUMN snapshot TYPE text USING snapshot::text;
