-- QA sampling: a share of auto-accepted decisions is also reviewed by a person, without holding
-- the item. Those reviews are labels like any other, and they are what calibrates the confident
-- region (decisions sent to review are mostly the unconfident ones).
ALTER TABLE review_tasks DROP CONSTRAINT review_tasks_kind_check;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_kind_check CHECK (kind IN ('decision', 'review', 'stuck', 'qa'));
ALTER TABLE decisions DROP CONSTRAINT decisions_route_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_route_check CHECK (route IN ('auto', 'review', 'sampled'));
