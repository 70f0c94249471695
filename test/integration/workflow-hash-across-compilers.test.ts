// Regression: a workflow's version hash depended on the compiler that printed its functions (tsx's
// esbuild vs vitest's oxc), so the same code registered by a worker process became a new version.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { workflowHash } from '@signoff/engine';
import { supportTriage } from '@signoff/server/demo';
import { expect, it } from 'vitest';
import { reliableOrder } from '../fixtures/reliability-workflow';

it('the same workflow code hashes the same under tsx as under vitest', () => {
  const script = `
    import { workflowHash } from '@signoff/engine';
    import { supportTriage } from '@signoff/server/demo';
    import { reliableOrder } from './fixtures/reliability-workflow.ts';
    console.log(JSON.stringify([workflowHash(supportTriage), workflowHash(reliableOrder)]));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toEqual([workflowHash(supportTriage), workflowHash(reliableOrder)]);
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
