-- Calibrators per (agent, model version, confidence method, prompt version): log probabilities,
-- self-consistency votes, verbalised ratings and posteriors are miscalibrated in different ways,
-- and so is one model under two prompts, so their labels must not be pooled into one calibrator.
-- A label's prompt version is on the label; its confidence method on its decision.
ALTER TABLE calibrators ADD COLUMN confidence_method text, ADD COLUMN prompt_version text;

-- Existing calibrators: the key of the labels they were fitted on (their agent and model version's
-- labels on AI answers, created up to the calibrator), where those labels agree on it. Where they
-- mix methods or prompt versions, or a label has no decision or prompt version on record, the part
-- is 'unknown': no decision has that key, so such a calibrator (active or not) calibrates nothing
-- from now on, and the decisions it covered are routed on their raw confidence until
-- `signoff calibrate` fits one per key.
WITH fitted_on AS (
  SELECT c.id,
         CASE WHEN bool_and(d.id IS NOT NULL) AND count(DISTINCT d.confidence_method) = 1
              THEN min(d.confidence_method) END AS confidence_method,
         CASE WHEN bool_and(l.prompt_version IS NOT NULL) AND count(DISTINCT l.prompt_version) = 1
              THEN min(l.prompt_version) END AS prompt_version
    FROM calibrators c
    JOIN labels l ON l.agent = c.agent AND l.model_version = c.model_version
                 AND l.ai_label IS NOT NULL AND l.ai_confidence IS NOT NULL AND l.created_at <= c.created_at
    LEFT JOIN decisions d ON d.id = l.decision_id
   GROUP BY c.id
)
UPDATE calibrators c
   SET confidence_method = f.confidence_method, prompt_version = f.prompt_version
  FROM fitted_on f
 WHERE f.id = c.id;
UPDATE calibrators SET confidence_method = coalesce(confidence_method, 'unknown'),
                       prompt_version = coalesce(prompt_version, 'unknown');
ALTER TABLE calibrators ALTER COLUMN confidence_method SET NOT NULL, ALTER COLUMN prompt_version SET NOT NULL;

-- At most one active calibrator per key (was: per agent and model version).
DROP INDEX calibrators_active_idx;
CREATE UNIQUE INDEX calibrators_active_idx ON calibrators(agent, model_version, confidence_method, prompt_version)
  WHERE active;
