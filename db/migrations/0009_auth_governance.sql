-- Sign-in throttling, and a stored head for the audit streams that are not an item's.

-- Failed sign-ins per account (the normalised email, whether or not such a user exists, so the
-- throttle says nothing about which accounts exist) and per client address. Kept in PostgreSQL so
-- every API process sees the same counts. See packages/governance/src/login-throttle.ts.
CREATE TABLE login_throttles (
  scope            text NOT NULL CHECK (scope IN ('account', 'address')),
  key              text NOT NULL,
  failures         integer NOT NULL DEFAULT 0,
  last_failure_at  timestamptz,
  locked_until     timestamptz,
  PRIMARY KEY (scope, key)
);
-- Pruning finds rows whose window has passed.
CREATE INDEX login_throttles_last_failure_idx ON login_throttles(last_failure_at);

-- The head (last seq and hash) of each stream that has no item row to keep it on: `config`,
-- `security`. Appends lock this row (instead of an advisory lock) and move it in the same
-- transaction as the event, so verification can tell a missing tail from a short chain.
CREATE TABLE audit_heads (
  stream      text PRIMARY KEY,
  seq         integer NOT NULL,
  hash        text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO audit_heads (stream, seq, hash)
SELECT DISTINCT ON (stream) stream, seq, hash
FROM audit_events
WHERE item_id IS NULL
ORDER BY stream, seq DESC;
