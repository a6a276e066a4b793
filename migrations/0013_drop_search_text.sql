-- Discovery reads discovery_entries (0012); the concatenated texts it used to LIKE over are
-- read by nothing now, and kept in step with nothing.
ALTER TABLE stores DROP COLUMN search_text;
ALTER TABLE catalog_sets DROP COLUMN search_text;
