-- Every read of an item's trail goes by its stream (= the item's id) and seq, which the unique
-- (stream, seq) index serves; the second index on (item_id, seq) was only paid for, on each of the
-- five or six events a transition writes per item. Items are never deleted, so the foreign key
-- from audit_events.item_id needs no index on this side either.
DROP INDEX IF EXISTS audit_events_item_idx;
