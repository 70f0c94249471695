-- Retention (issue 12, point 6): each workflow keeps its items' payloads (input, context, state
-- outputs, decision texts, event payloads, reviewers' reasons) for a period counted from the item's
-- finish; a scheduled purge then deletes or anonymises them, leaving ids, labels, confidences and
-- timings. Audit events written since this release carry digests of payloads, not the payloads, so
-- the chains still verify after a purge (docs/retention.md).

-- When the item's payloads were purged; NULL while they are kept.
ALTER TABLE items ADD COLUMN purged_at timestamptz;
-- The purge's candidates: finished items not purged yet, oldest finish first, per workflow.
CREATE INDEX items_retention_due_idx ON items (workflow_name, finished_at)
  WHERE purged_at IS NULL AND finished_at IS NOT NULL;

-- The retention each workflow declares (its newest registered version's `retention`); workflows
-- without a row follow the server's default (SIGNOFF_RETENTION_DAYS), or keep everything.
CREATE TABLE retention_policies (
  workflow_name  text PRIMARY KEY,
  days           integer NOT NULL CHECK (days BETWEEN 1 AND 36500),
  mode           text NOT NULL CHECK (mode IN ('delete', 'anonymise')),
  declared_at    timestamptz NOT NULL DEFAULT now()
);

-- A JSON value with its structure, numbers, booleans and nulls kept and every string replaced:
-- what `anonymise` leaves of a payload.
CREATE FUNCTION signoff_anonymise(v jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN CASE jsonb_typeof(v)
    WHEN 'string' THEN to_jsonb('[anonymised]'::text)
    WHEN 'object' THEN (SELECT COALESCE(jsonb_object_agg(k, signoff_anonymise(x)), '{}'::jsonb) FROM jsonb_each(v) AS e(k, x))
    WHEN 'array' THEN (SELECT COALESCE(jsonb_agg(signoff_anonymise(x) ORDER BY n), '[]'::jsonb)
                         FROM jsonb_array_elements(v) WITH ORDINALITY AS a(x, n))
    ELSE v
  END;
END $$;

-- A purged snapshot member: its stored line is cleared (exports render it from the purged label)
-- and the time is set. The only change the snapshot tables accept, and only inside a purge.
ALTER TABLE dataset_snapshot_rows ADD COLUMN purged_at timestamptz;

-- Snapshots stay immutable, with one narrow exception: the retention purge (which sets
-- `signoff.retention_purge` for its own transaction only) may clear a member's line and set its
-- `purged_at`, once, changing nothing else. The purge is audited (`retention.purged`).
CREATE OR REPLACE FUNCTION dataset_snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Nested: PL/pgSQL does not promise to stop at the first false AND, and dataset_snapshots has no purged_at.
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'dataset_snapshot_rows'
     AND current_setting('signoff.retention_purge', true) = 'on' THEN
    IF OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL AND NEW.line IS NULL
       AND NEW.snapshot_id = OLD.snapshot_id AND NEW.ordinal = OLD.ordinal
       AND NEW.label_id = OLD.label_id AND NEW.split = OLD.split THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION '% is immutable (% refused)', TG_TABLE_NAME, TG_OP;
END $$;
