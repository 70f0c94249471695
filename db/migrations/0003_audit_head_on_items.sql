-- The head of each item's audit chain lives on the item row, which every transition already
-- locks: appending needs no advisory lock and no lookup of the last event, and a batch of
-- transitions can append all its events in one statement.
ALTER TABLE items ADD COLUMN audit_seq integer NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN audit_hash text NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';

UPDATE items i SET audit_seq = h.seq, audit_hash = h.hash
FROM (SELECT DISTINCT ON (stream) stream, seq, hash FROM audit_events ORDER BY stream, seq DESC) h
WHERE h.stream = i.id::text;

-- Transitions update status and updated_at; keep the item row's other indexes off the hot path
-- where we can: the stuck-item sweep reads updated_at only for running items.
