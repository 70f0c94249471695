-- Calibrators: per agent and model version, a mapping from raw to calibrated confidence, fitted
-- from human labels; at most one active per (agent, model_version). Routing uses the active one.
CREATE TABLE calibrators (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent          text NOT NULL,
  model_version  text NOT NULL,
  method         text NOT NULL CHECK (method IN ('isotonic', 'platt')),
  params         jsonb NOT NULL,
  label_count    integer NOT NULL,
  -- ECE and Brier score on the held-out labels before and after, and the split sizes.
  metrics        jsonb NOT NULL,
  active         boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX calibrators_active_idx ON calibrators(agent, model_version) WHERE active;

-- Which calibrator produced a decision's calibrated confidence (null: none, raw = calibrated).
ALTER TABLE decisions ADD COLUMN calibrator_id uuid REFERENCES calibrators(id);
