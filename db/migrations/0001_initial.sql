-- Signoff's initial schema. Forward-only: never edit an applied migration, add a new one.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('reviewer', 'compliance', 'data_scientist', 'admin')),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz
);

-- Console sessions: only the SHA-256 of the bearer token is stored.
CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions(user_id);

-- Machine credentials for ingestion. Only the SHA-256 of the key is stored; `prefix` identifies it in logs.
CREATE TABLE api_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  prefix      text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  created_by  uuid REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- A workflow's definition as registered; a changed definition is a new row (hash-identified).
CREATE TABLE workflow_versions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  version     integer NOT NULL,
  hash        text NOT NULL,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version),
  UNIQUE (name, hash)
);

CREATE TABLE items (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_name        text NOT NULL,
  workflow_version_id  uuid NOT NULL REFERENCES workflow_versions(id),
  idempotency_key      text,
  input                jsonb NOT NULL,
  context              jsonb NOT NULL DEFAULT '{}'::jsonb,
  status               text NOT NULL CHECK (status IN ('running', 'waiting', 'succeeded', 'rejected', 'failed')),
  current_state        text,
  -- How many times each state has been entered: the `visit` part of a state run's key.
  visits               jsonb NOT NULL DEFAULT '{}'::jsonb,
  error                jsonb,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  finished_at          timestamptz
);
CREATE UNIQUE INDEX items_idempotency_idx ON items(workflow_name, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX items_status_idx ON items(status, created_at DESC);

-- One row per (item, state, visit): the idempotency key of a state's execution.
CREATE TABLE state_runs (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  item_id      uuid NOT NULL REFERENCES items(id),
  state        text NOT NULL,
  visit        integer NOT NULL,
  kind         text NOT NULL,
  status       text NOT NULL CHECK (status IN ('done', 'waiting')),
  output       jsonb,
  next_state   text,
  attempts     integer NOT NULL DEFAULT 1,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (item_id, state, visit)
);

CREATE TABLE decisions (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  item_id                uuid NOT NULL REFERENCES items(id),
  state_run_id           uuid NOT NULL REFERENCES state_runs(id),
  state                  text NOT NULL,
  agent                  text NOT NULL,
  provider               text NOT NULL,
  model                  text NOT NULL,
  model_version          text NOT NULL,
  prompt_version         text NOT NULL,
  input_hash             text NOT NULL,
  input_text             text NOT NULL,
  output                 jsonb NOT NULL,
  label                  text,
  confidence             double precision NOT NULL,
  confidence_method      text NOT NULL,
  calibrated_confidence  double precision NOT NULL,
  route                  text NOT NULL CHECK (route IN ('auto', 'review')),
  reasons                jsonb NOT NULL DEFAULT '[]'::jsonb,
  latency_ms             integer NOT NULL,
  tokens_in              integer,
  tokens_out             integer,
  created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_item_idx ON decisions(item_id);
CREATE INDEX decisions_agent_idx ON decisions(agent, model_version, created_at);

CREATE TABLE review_tasks (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  item_id           uuid NOT NULL REFERENCES items(id),
  state             text NOT NULL,
  visit             integer NOT NULL,
  decision_id       uuid REFERENCES decisions(id),
  queue             text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'claimed', 'done')),
  assignee_id       uuid REFERENCES users(id),
  lease_expires_at  timestamptz,
  labels            jsonb NOT NULL,
  reasons           jsonb NOT NULL DEFAULT '[]'::jsonb,
  instructions      text NOT NULL,
  -- What the reviewer is shown besides the item's input (a review state's `show`).
  summary           jsonb,
  priority          integer NOT NULL DEFAULT 0,
  due_at            timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  claimed_at        timestamptz,
  completed_at      timestamptz,
  UNIQUE (item_id, state, visit)
);
-- The claim query's path: oldest claimable task of a queue.
CREATE INDEX review_tasks_claim_idx ON review_tasks(queue, priority DESC, created_at) WHERE status <> 'done';
CREATE INDEX review_tasks_assignee_idx ON review_tasks(assignee_id) WHERE status = 'claimed';

CREATE TABLE reviews (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id      uuid NOT NULL UNIQUE REFERENCES review_tasks(id),
  reviewer_id  uuid NOT NULL REFERENCES users(id),
  verdict      text NOT NULL CHECK (verdict IN ('confirm', 'correct', 'answer')),
  label        text NOT NULL,
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Human answers to AI decisions, with full provenance: the raw material for datasets and metrics.
CREATE TABLE labels (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  item_id              uuid NOT NULL REFERENCES items(id),
  state                text NOT NULL,
  decision_id          uuid REFERENCES decisions(id),
  review_id            uuid NOT NULL UNIQUE REFERENCES reviews(id),
  workflow_name        text NOT NULL,
  workflow_version_id  uuid NOT NULL REFERENCES workflow_versions(id),
  agent                text,
  model                text,
  model_version        text,
  prompt_version       text,
  input_text           text,
  ai_label             text,
  ai_confidence        double precision,
  human_label          text NOT NULL,
  is_correction        boolean NOT NULL,
  reason               text,
  reviewer_id          uuid NOT NULL REFERENCES users(id),
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX labels_agent_idx ON labels(agent, created_at);

-- Examples the built-in model starts from before any human label exists (shipped with a workflow).
CREATE TABLE seed_examples (
  id          bigserial PRIMARY KEY,
  agent       text NOT NULL,
  text        text NOT NULL,
  label       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent, text)
);

-- Versions of the built-in model, per agent.
CREATE TABLE local_models (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent           text NOT NULL,
  version         integer NOT NULL,
  params          jsonb NOT NULL,
  example_count   integer NOT NULL,
  metrics         jsonb NOT NULL DEFAULT '{}'::jsonb,
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent, version)
);

-- Append-only, hash-chained per stream (an item's id, or 'config' for configuration changes).
CREATE TABLE audit_events (
  id          bigserial PRIMARY KEY,
  stream      text NOT NULL,
  seq         integer NOT NULL,
  item_id     uuid REFERENCES items(id),
  actor_type  text NOT NULL CHECK (actor_type IN ('system', 'user', 'api_key')),
  actor_id    text,
  action      text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  prev_hash   text NOT NULL,
  hash        text NOT NULL,
  UNIQUE (stream, seq)
);
CREATE INDEX audit_events_item_idx ON audit_events(item_id, seq);

-- Audit events may be inserted, never changed or removed.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
