-- A seed example longer than about 8 KB could not be stored: UNIQUE (agent, text) keeps the whole
-- text in its index entry, and a btree entry must fit in a third of a page. Examples are now unique
-- per agent by the SHA-256 of their text, which PostgreSQL computes itself, so no writer can store
-- a wrong hash and inserts that do not name the column keep working.

-- sha256(convert_to(...)) is not accepted in a generated column because convert_to is STABLE (a
-- conversion could in principle be redefined). Converting to UTF-8 does not change with settings,
-- so this wrapper is declared IMMUTABLE; plpgsql so the planner never inlines it back into the
-- STABLE expression.
CREATE FUNCTION signoff_sha256_hex(t text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ BEGIN RETURN encode(sha256(convert_to(t, 'UTF8')), 'hex'); END $$;

ALTER TABLE seed_examples ADD COLUMN text_hash text GENERATED ALWAYS AS (signoff_sha256_hex(text)) STORED NOT NULL;
ALTER TABLE seed_examples DROP CONSTRAINT seed_examples_agent_text_key;
ALTER TABLE seed_examples ADD CONSTRAINT seed_examples_agent_text_hash_key UNIQUE (agent, text_hash);
