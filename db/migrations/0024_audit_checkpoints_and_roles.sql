-- Signed checkpoints of the audit log, and the application's database role (docs/audit.md).

-- The public keys that signed checkpoints, by fingerprint (SHA-256 of the key's DER SPKI). The
-- private key is never here: it lives with the process that signs (SIGNOFF_AUDIT_SIGNING_KEY).
CREATE TABLE audit_signing_keys (
  fingerprint  text PRIMARY KEY,
  public_key   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- One signed checkpoint: the RFC 6962 Merkle root of the heads of the streams that moved since the
-- previous checkpoint, chained to it by hash, signed with Ed25519 over `checkpointMessage`.
CREATE TABLE audit_checkpoints (
  seq              integer PRIMARY KEY CHECK (seq >= 1),
  version          integer NOT NULL,
  created_at       timestamptz NOT NULL,
  prev_hash        text NOT NULL,
  root             text NOT NULL,
  leaf_count       integer NOT NULL CHECK (leaf_count >= 0),
  key_fingerprint  text NOT NULL REFERENCES audit_signing_keys(fingerprint),
  hash             text NOT NULL UNIQUE,
  signature        text NOT NULL
);

-- The leaves of each checkpoint in tree order: a stream's head (seq, hash) when it was made.
CREATE TABLE audit_checkpoint_leaves (
  checkpoint_seq  integer NOT NULL REFERENCES audit_checkpoints(seq),
  position        integer NOT NULL,
  stream          text NOT NULL,
  seq             integer NOT NULL,
  hash            text NOT NULL,
  PRIMARY KEY (checkpoint_seq, position)
);
-- "Was this head checkpointed already?" (making a checkpoint) and "which checkpoints cover this stream?" (export, coverage).
CREATE INDEX audit_checkpoint_leaves_stream_idx ON audit_checkpoint_leaves (stream, seq);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_leaves_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint_leaves
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_signing_keys_no_update BEFORE UPDATE OR DELETE ON audit_signing_keys
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- The application's role. Tables stay owned by whoever runs the migrations (the migration role);
-- the running server works as `signoff_app` (SIGNOFF_DATABASE_ROLE), which may read and write what
-- the application needs but cannot change or remove audit rows, nor change the schema. Roles are
-- cluster-wide and many databases of one cluster may migrate at once: a concurrent CREATE ROLE
-- fails with a unique violation once the other commits, which is as good as success.
DO $$
BEGIN
  CREATE ROLE signoff_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;

GRANT USAGE ON SCHEMA public TO signoff_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO signoff_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO signoff_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO signoff_app;
-- What the migration role creates later (later migrations, pg-boss's schema and its queues'
-- partitions) is granted the same way.
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO signoff_app;
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO signoff_app;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO signoff_app;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO signoff_app;

-- Audit rows may be added and read, never changed or removed (the triggers say so too, but a
-- trigger is only as strong as the role that could disable it: the application's role cannot).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints, audit_checkpoint_leaves, audit_signing_keys
  FROM signoff_app;

-- pg-boss's schema, where it was installed before this migration.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgboss') THEN
    GRANT USAGE ON SCHEMA pgboss TO signoff_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgboss TO signoff_app;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA pgboss TO signoff_app;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgboss TO signoff_app;
  END IF;
END $$;
