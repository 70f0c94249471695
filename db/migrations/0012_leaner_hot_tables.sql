-- Leaner hot tables: items updated in place where it can be, audit events keyed by (stream, seq).

-- Every transition updates its items twice or more: position, context, audit head, updated_at.
-- An index on updated_at (the stuck-item sweep's) made each of those updates write new entries in
-- every index of the table. Without it, an update that keeps the status (running -> running, most
-- of them) changes no indexed column and can be a heap-only (HOT) update, given room on the page:
-- hence the fill factor. The sweep reads running items through items_status_idx instead.
DROP INDEX IF EXISTS items_stuck_idx;
ALTER TABLE items SET (fillfactor = 70);

-- An audit event is identified by its stream and place in it, (stream, seq), unique already: the
-- serial id beside it (read by nothing) is gone with its index, one index entry less for each of
-- the events every transition writes. The unique (stream, seq) index identifies rows for logical
-- replication (rebuilding it as a primary key would lock the table for as long as that takes).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events DROP COLUMN id;
ALTER TABLE audit_events ALTER COLUMN stream SET NOT NULL, ALTER COLUMN seq SET NOT NULL;
ALTER TABLE audit_events REPLICA IDENTITY USING INDEX audit_events_stream_seq_key;
