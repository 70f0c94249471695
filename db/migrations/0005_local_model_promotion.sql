-- Promotion of the built-in model: every trained version is stored, but only one that beats the
-- active version on the same held-out examples becomes active (the comparison is in `metrics`).

-- The version's classifier trained without its holdout split. Comparisons evaluate this one, so no
-- version is judged on examples it learned from (`params`, trained on everything, serves decisions).
-- NULL for versions trained before this migration.
ALTER TABLE local_models ADD COLUMN eval_params jsonb;

-- "The active version" must be one row. Trainers always kept it so under their lock; make it a rule,
-- keeping the newest active version of an agent should an older writer have left two.
UPDATE local_models m SET active = false
 WHERE m.active
   AND EXISTS (SELECT 1 FROM local_models n WHERE n.agent = m.agent AND n.active AND n.version > m.version);
CREATE UNIQUE INDEX local_models_active_idx ON local_models(agent) WHERE active;
