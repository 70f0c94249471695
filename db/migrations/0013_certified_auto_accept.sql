-- Certified auto-accept (docs/trust.md): every decision records the score it was ranked by, the
-- probability with which it was drawn for a human's audit, and the policy and certificate it was
-- routed under; certificates hold the evidence behind a threshold; policy versions record what was
-- in force and since when; the drift guard's state per policy version.

ALTER TABLE decisions ADD COLUMN score double precision;
-- The inclusion probability in the audit sample: 1 for a decision sent to a person, the QA rate it
-- had for an auto-accepted one (drawn or not; 0 when its policy audits nothing). NULL for decisions
-- made before this migration: they are not fair labels for certification.
ALTER TABLE decisions ADD COLUMN audit_probability double precision
  CHECK (audit_probability IS NULL OR (audit_probability >= 0 AND audit_probability <= 1));
ALTER TABLE decisions ADD COLUMN threshold double precision;

-- A certificate: the lowest threshold whose upper confidence bound on the error among decisions
-- scoring at or above it stays at or below max_error, found by fixed-sequence testing on fairly
-- sampled labels. Immutable; applying one is a policy version.
CREATE TABLE certificates (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_name        text NOT NULL,
  state                text NOT NULL,
  agent                text NOT NULL,
  model_version        text NOT NULL,
  confidence_method    text NOT NULL,
  prompt_version       text NOT NULL,
  max_error            double precision NOT NULL CHECK (max_error > 0 AND max_error < 1),
  confidence           double precision NOT NULL CHECK (confidence > 0 AND confidence < 1),
  threshold            double precision NOT NULL,
  -- Fair labels at or above the threshold, and the wrong ones among them, per stratum of audit
  -- probability; the population of decisions those strata stand for.
  labels_used          integer NOT NULL,
  wrong_used           integer NOT NULL,
  upper_bound          double precision NOT NULL,
  expected_automation  double precision NOT NULL,
  evidence             jsonb NOT NULL,
  window_from          timestamptz NOT NULL,
  window_to            timestamptz NOT NULL,
  created_by           jsonb NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_state_idx ON certificates(workflow_name, state, created_at DESC);

-- What governs a decide state that certifies its auto-accept: its target, and the certificate in
-- force, if any. A new row for every change (declared target, certificate applied, paused,
-- resumed); the newest row of a state is the one in force.
CREATE TABLE policy_versions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_name   text NOT NULL,
  state           text NOT NULL,
  version         integer NOT NULL,
  max_error       double precision NOT NULL,
  confidence      double precision NOT NULL,
  audit_rate      double precision NOT NULL CHECK (audit_rate > 0 AND audit_rate <= 1),
  status          text NOT NULL CHECK (status IN ('uncertified', 'certified', 'paused')),
  certificate_id  uuid REFERENCES certificates(id),
  reason          text NOT NULL,
  created_by      jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_name, state, version)
);

ALTER TABLE decisions ADD COLUMN policy_version_id uuid REFERENCES policy_versions(id);
ALTER TABLE decisions ADD COLUMN certificate_id uuid REFERENCES certificates(id);
-- The drift guard reads the audit samples of a certificate in force.
CREATE INDEX decisions_certificate_idx ON decisions(certificate_id) WHERE certificate_id IS NOT NULL;
-- Certification reads a state's decisions of one model version in a window.
CREATE INDEX decisions_state_model_idx ON decisions(state, model_version, created_at);

-- The drift guard of a policy version with a certificate: a betting e-process over its audit
-- samples, recomputed as labels arrive.
CREATE TABLE drift_guards (
  policy_version_id  uuid PRIMARY KEY REFERENCES policy_versions(id),
  samples            integer NOT NULL,
  wrong              integer NOT NULL,
  e_value            double precision NOT NULL,
  alarm_at           double precision NOT NULL,
  alarmed_at         timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A label settled by adjudication (a second look by someone entitled to settle disagreements)
-- outranks the single verdicts on the same decision.
ALTER TABLE labels ADD COLUMN adjudicated boolean NOT NULL DEFAULT false;
CREATE INDEX labels_decision_idx ON labels(decision_id) WHERE decision_id IS NOT NULL;
-- An adjudicated label has no review task of its own: it settles a decision's earlier verdicts.
ALTER TABLE labels ALTER COLUMN review_id DROP NOT NULL;
ALTER TABLE labels ADD CONSTRAINT labels_review_or_adjudicated CHECK (review_id IS NOT NULL OR adjudicated);
