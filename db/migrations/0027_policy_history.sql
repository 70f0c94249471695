-- Policy history (issue 12): why a workflow version was registered and who deployed it. A version's
-- change note (`defineWorkflow({ changeNote })`) and deployer (`SIGNOFF_DEPLOYED_BY` of the process
-- that first registered it) are recorded with the version, and in its `workflow.registered` audit
-- event, but are not part of its hash: a note is not behaviour. Versions registered before this
-- migration have neither (the history says so).
ALTER TABLE workflow_versions ADD COLUMN change_note text, ADD COLUMN registered_by text;
