-- Items a restaurant has marked out of stock ("86'd") without pushing its menu again (issue 17):
-- a sparse overlay on the store's menu, keyed by the item's id so that it outlives menu pushes
-- while the id is on the menu. A row means unavailable; `until` (when set) restores the item by
-- itself, as every reader compares it with its clock; marking an item available deletes its row.
CREATE TABLE item_availability (
    store_id    uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    item_id     text NOT NULL,
    until       timestamptz,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (store_id, item_id)
);

-- A change is a change of the store's menu: every instance drops the store's cached menus.
CREATE TRIGGER item_availability_announce_change AFTER INSERT OR UPDATE OR DELETE ON item_availability
    FOR EACH ROW EXECUTE FUNCTION marketfront_announce_store_change();
-- The reaper deletes marks that ended by themselves.
CREATE INDEX item_availability_until ON item_availability (until) WHERE until IS NOT NULL;
