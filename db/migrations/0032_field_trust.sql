-- Certified fields (issue 13, docs/trust.md "Certified fields"): a structured decide state may
-- certify each leaf field of its output on its own (`policy.fields.<path>.autoAccept`). A field's
-- policy versions and certificates live beside the state's, keyed by the field's dotted path; ''
-- is the state itself (a classification's label, or a structured decision as a whole).
ALTER TABLE policy_versions ADD COLUMN field text NOT NULL DEFAULT '';
ALTER TABLE policy_versions DROP CONSTRAINT policy_versions_workflow_name_state_version_key;
ALTER TABLE policy_versions
  ADD CONSTRAINT policy_versions_workflow_name_state_field_version_key UNIQUE (workflow_name, state, field, version);

ALTER TABLE certificates ADD COLUMN field text NOT NULL DEFAULT '';
DROP INDEX certificates_state_idx;
CREATE INDEX certificates_state_idx ON certificates(workflow_name, state, field, created_at DESC);
