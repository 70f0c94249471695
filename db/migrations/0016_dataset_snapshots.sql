-- Dataset snapshots: a set of labels frozen at creation (filters, a seeded train/validation/test
-- split by item, stratified by label), with a manifest and the SHA-256 of its canonical JSONL
-- export. Labels recorded later never change a snapshot: its members are listed here, in export
-- order, and both tables refuse UPDATE and DELETE.
CREATE TABLE dataset_snapshots (
  id            uuid PRIMARY KEY,
  name          text NOT NULL,
  -- Who made it: {"type": "user", "id": ...} or the system (the CLI, which has no user).
  created_by    jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  filters       jsonb NOT NULL,
  seed          text NOT NULL,
  -- {"train": 0.8, "validation": 0.1, "test": 0.1}
  fractions     jsonb NOT NULL,
  row_count     integer NOT NULL,
  manifest      jsonb NOT NULL,
  -- SHA-256 (hex) of the whole snapshot exported as JSONL, the canonical export.
  content_hash  text NOT NULL
);
CREATE INDEX dataset_snapshots_created_idx ON dataset_snapshots(created_at DESC, id);

CREATE TABLE dataset_snapshot_rows (
  -- Deferred: the rows are written first, then the snapshot row with the manifest computed from them.
  snapshot_id  uuid NOT NULL REFERENCES dataset_snapshots(id) DEFERRABLE INITIALLY DEFERRED,
  -- Position in the export (labels in creation order: created_at, then id), from 1.
  ordinal      integer NOT NULL,
  label_id     uuid NOT NULL REFERENCES labels(id),
  split        text NOT NULL CHECK (split IN ('train', 'validation', 'test')),
  PRIMARY KEY (snapshot_id, ordinal)
);
CREATE INDEX dataset_snapshot_rows_split_idx ON dataset_snapshot_rows(snapshot_id, split, ordinal);

CREATE FUNCTION dataset_snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is immutable (% refused)', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER dataset_snapshots_no_update BEFORE UPDATE OR DELETE ON dataset_snapshots
  FOR EACH ROW EXECUTE FUNCTION dataset_snapshots_immutable();
CREATE TRIGGER dataset_snapshot_rows_no_update BEFORE UPDATE OR DELETE ON dataset_snapshot_rows
  FOR EACH ROW EXECUTE FUNCTION dataset_snapshots_immutable();
