// Defect i: a workflow module in a user's own folder could not import `@signoff/core` or `zod` by
// name ("Cannot find module '@signoff/core'"): a user had to import absolute paths into the
// checkout. The example examples/kyc-review/workflow.ts is copied to a folder under the system's
// temporary directory, with no package.json and no node_modules, and a real `signoff start
// --workflows ./workflow.ts` is started from that folder.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { createApiKey, SYSTEM } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startServerProcess, stopWorker, type WorkerProcess, withoutNodePath } from '../support/processes';
import { waitFor } from '../support/signoff';

const root = join(import.meta.dirname, '..', '..');
const API_KEY = 'sk_signoff_outside_repo_test_key';

let t: TestDatabase;
let dir: string;
let server: WorkerProcess & { url: string };
beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'signoff-user-workflows-')));
  copyFileSync(join(root, 'examples', 'kyc-review', 'workflow.ts'), join(dir, 'workflow.ts'));
  t = await createTestDatabase();
  await t.db
    .transaction()
    .execute((trx) => createApiKey(trx, { name: 'kyc onboarding form', secret: API_KEY }, SYSTEM));
  server = await startServerProcess(t.url, ['--workflows', './workflow.ts'], { cwd: dir });
});
afterAll(async () => {
  if (server) await stopWorker(server);
  await t?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An application whose applicant lives in an embargoed country (KP). */
const application = {
  applicationId: 'APP-2025-0042',
  applicant: {
    fullName: 'Min-jun Ri',
    email: 'minjun@example.com',
    dateOfBirth: '1988-04-12',
    nationality: 'KR',
    residence: 'KP',
    occupation: 'engineer',
    politicallyExposed: false,
  },
  account: {
    product: 'personal',
    expectedMonthlyVolumeEur: 3000,
    sourceOfFunds: 'salary',
    purpose: 'salary and everyday spending',
  },
  document: { type: 'passport', number: 'M12345678', issuingCountry: 'KR', expiresOn: '2031-01-31' },
};

function submit(input: unknown, idempotencyKey?: string) {
  return fetch(`${server.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'kyc-review', input, ...(idempotencyKey ? { idempotencyKey } : {}) }),
  });
}

it('the module lives outside the checkout', () => {
  expect(relative(realpathSync(root), dir).startsWith('..')).toBe(true);
  expect(server.output()).toContain('workflow kyc-review v1 (new version)');
});

it('runs an item submitted over HTTP to the state the workflow defines', async () => {
  const r = await submit(application, 'APP-2025-0042');
  expect(r.status).toBe(201);
  const { id } = (await r.json()) as { id: string };
  const item = await waitFor(
    () =>
      t.db
        .selectFrom('items')
        .select(['status', 'current_state', 'context'])
        .where('id', '=', id)
        .where('status', '=', 'rejected')
        .executeTakeFirst(),
    { message: 'the embargoed application is declined' },
  );
  expect(item.current_state).toBe('declined');
  expect((item.context as Record<string, unknown>).sanctions).toEqual({
    hit: true,
    reasons: ['residence KP is embargoed'],
  });
});

it("checks inputs with the module's zod schema", async () => {
  const r = await submit({ ...application, applicant: { ...application.applicant, email: 'not an email' } });
  expect(r.status).toBe(400);
  const body = (await r.json()) as { error: { issues: { path: string }[] } };
  expect(body.error.issues.map((i) => i.path)).toEqual(['input.applicant.email']);
});

// The module must get the server's own zod and @signoff/core, not copies: a copy's schemas and
// error classes are not the engine's. Loaded the way `signoff start` loads it (tsx, then
// loadWorkflowModules), from a script that is part of the server package.
it("gets the server's zod and @signoff/core, not copies", async () => {
  const script = `
    import { createRequire } from 'node:module';
    import { z } from 'zod';
    import { loadWorkflowModules } from './src/workflow-modules.ts';
    await loadWorkflowModules([${JSON.stringify(join(dir, 'workflow.ts'))}]);
    const mod = await import(${JSON.stringify(join(dir, 'workflow.ts'))});
    const commonJsCopies = Object.keys(createRequire(import.meta.url).cache).filter(
      (f) => f.includes('/zod/') || f.includes('/packages/core/'),
    );
    console.log(JSON.stringify({
      sameZod: Object.getPrototypeOf(mod.kycApplication) === Object.getPrototypeOf(z.object({})),
      commonJsCopies,
    }));`;
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(root, 'apps', 'server'),
    env: withoutNodePath(process.env),
  });
  expect(JSON.parse(r.stdout)).toEqual({ sameZod: true, commonJsCopies: [] });
});
