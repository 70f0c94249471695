// Regression: a workflow's version hash depended on the compiler that printed its functions (tsx's
// esbuild vs vitest's oxc), so the same code registered by a worker process became a new version.
// The change note is not part of the hash: it says why a version changed, not what it does.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { workflowHash } from '@signoff/engine';
import { supportTriage, supportTriageFirstVersion } from '@signoff/server/demo';
import { expect, it } from 'vitest';
import { reliableOrder } from '../fixtures/reliability-workflow';

it('the same workflow code hashes the same under tsx as under vitest', () => {
  const script = `
    import { workflowHash } from '@signoff/engine';
    import { supportTriage, supportTriageFirstVersion } from '@signoff/server/demo';
    import { reliableOrder } from './fixtures/reliability-workflow.ts';
    console.log(JSON.stringify([workflowHash(supportTriage), workflowHash(reliableOrder), workflowHash(supportTriageFirstVersion())]));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toEqual([
    workflowHash(supportTriage),
    workflowHash(reliableOrder),
    workflowHash(supportTriageFirstVersion()),
  ]);
});

it('hashes a workflow the same whatever its change note says, and differently when its policy changed', () => {
  expect(supportTriage.changeNote).toMatch(/auto-accept from there \(was 0\.8\)/);
  expect(workflowHash({ ...supportTriage, changeNote: 'another note' })).toBe(workflowHash(supportTriage));
  const { changeNote: _note, ...withoutNote } = supportTriage;
  expect(workflowHash(withoutNote as typeof supportTriage)).toBe(workflowHash(supportTriage));
  expect(workflowHash(supportTriageFirstVersion())).not.toBe(workflowHash(supportTriage));
});

// Retention is data governance, not behaviour: a changed period applies to the workflow's items
// without making a new version (docs/retention.md), so it stays out of the hash.
it('the retention period is not part of the version hash', () => {
  const { retention: _retention, ...withoutRetention } = supportTriage;
  expect(supportTriage.retention).toBeDefined();
  expect(workflowHash({ ...withoutRetention, retention: { days: 7, mode: 'anonymise' } })).toBe(
    workflowHash(supportTriage),
  );
  expect(workflowHash(withoutRetention)).toBe(workflowHash(supportTriage));
});
