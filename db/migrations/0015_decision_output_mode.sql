-- How each decision was obtained from an OpenAI-compatible endpoint: the output mode that imposed
-- the schema (json_schema, tool_call, json_object; null for the local model and for calls that
-- never got an answer) and, when the confidence is not what the method's name promises, why:
-- log probabilities present but not spelling the answer, samples that never varied (a
-- deterministic endpoint), the verbalised rating used as a flagged fallback.
ALTER TABLE decisions ADD COLUMN output_mode text, ADD COLUMN confidence_note text;

-- What the OpenAI-compatible provider learnt about each endpoint's model (output modes, log
-- probabilities, n, temperature, the refusals it answered): written by workers as they learn and
-- by `signoff models probe`, read by the API's models.capabilities.
CREATE TABLE model_capabilities (
  endpoint     text NOT NULL,
  model        text NOT NULL,
  capabilities jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint, model)
);
