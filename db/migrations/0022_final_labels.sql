-- Multi-reviewer review points (issue 11): every verdict is a label, and one label per review point
-- is its answer. A review point (item, state, visit) that needs N independent verdicts writes N
-- labels, one per slot; the answer is the last of them when all agree, else the label of the lead's
-- adjudication (also `adjudicated`). `final` marks the answer; the other verdicts keep `final` false,
-- so agreement (Cohen's kappa) pairs the slots' verdicts while accuracy, certification, calibration
-- and datasets count each review point once. Every label written before this migration answered its
-- review point alone, so all existing rows are final.
ALTER TABLE labels ADD COLUMN final boolean NOT NULL DEFAULT true;

