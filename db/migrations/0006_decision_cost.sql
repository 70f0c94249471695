-- Estimated cost of each decision in US dollars: its tokens (self-consistency samples included) at
-- the model's list price. NULL when unknown (a model without a price, an endpoint that reports no
-- usage, a call that failed); 0 for the built-in local model.
ALTER TABLE decisions ADD COLUMN cost_usd double precision;

-- Usage reports read decisions by time range (`usageByWorkflowAndDay`).
CREATE INDEX decisions_created_idx ON decisions(created_at);
