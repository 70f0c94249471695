-- Each member's JSONL line, rendered once when its snapshot is created (packages/datasets,
-- snapshot-lines.ts), so a JSONL export (and the content hash) reads the lines in order instead of
-- joining six tables and rendering every row again. NULL for snapshots created before this column
-- and for a line PostgreSQL could not render exactly as JSON.stringify does (a double it writes
-- otherwise): those pages are rendered at export, to the same bytes.
ALTER TABLE dataset_snapshot_rows ADD COLUMN line text;
