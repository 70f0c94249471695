-- Structured decisions (issue 13): a decide state may answer with an object described by a zod
-- schema instead of a label. Its decision's `label` (and a label's `ai_label` / `human_label`) is
-- the canonical JSON of the object, so equal values are equal labels; `decisions.output` keeps the
-- object (`value`) and each leaf field's confidence and method (`fields`). A structured label also
-- keeps the field-level diff: which leaf fields the human changed, and from what to what.

-- The leaf fields (dotted paths) the reviewer changed; '{}' when they confirmed every field; NULL
-- for a classification's label.
ALTER TABLE labels ADD COLUMN changed_fields text[];
-- The same as [{field, ai, human}], with both values; NULL for a classification's label.
ALTER TABLE labels ADD COLUMN field_changes jsonb;
