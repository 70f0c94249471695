// `signoff retention status|purge` as a person runs it (the real command in a child process): the
// period and what is due, a dry run that changes nothing, a purge audited as the CLI's account,
// and bad input refused with its exit code (2: bad name, 4: no such workflow).
import { userInfo } from 'node:os';
import { defineWorkflow } from '@signoff/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { runSignoff } from '../support/signoff-cli';

const wf = defineWorkflow({
  name: 'ret-cli',
  input: z.object({ email: z.string() }),
  start: 'done',
  retention: { days: 30, mode: 'delete' },
  states: { done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ to: ctx.input.email }) } },
});

let t: TestDatabase;
let e: TestEngine;
let itemId: string;
const purgedAt = async () =>
  (await t.db.selectFrom('items').select('purged_at').where('id', '=', itemId).executeTakeFirstOrThrow()).purged_at;

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [wf]);
  itemId = await e.submit('ret-cli', { email: 'cli@example.com' });
  await e.settle(itemId);
  await sql`UPDATE items SET finished_at = now() - interval '40 days' WHERE id = ${itemId}`.execute(t.db);
}, 60_000);
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

describe('signoff retention', () => {
  it('status names the period, its source and the items due', async () => {
    const r = await runSignoff(['retention', 'status', '--workflow', 'ret-cli'], t.url);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ret-cli {2}30 days, delete \(workflow\) {2}due 1 finished before \S+ {2}held by open tasks 0 {2}purged 0 {2}never purged\n$/,
    );
  });

  it('purge --dry-run counts and changes nothing', async () => {
    const r = await runSignoff(['retention', 'purge', '--dry-run'], t.url);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ret-cli  would purge 1 items finished before');
    expect(await purgedAt()).toBeNull();
  });

  it('refuses a bad name (exit 2) and an unknown workflow (exit 4)', async () => {
    const bad = await runSignoff(['retention', 'purge', '--workflow', 'Not A Name'], t.url);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: --workflow: Expected a workflow name');
    const unknown = await runSignoff(['retention', 'purge', '--workflow', 'no-such-flow'], t.url);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('error: No workflow "no-such-flow" is registered');
    expect(await purgedAt()).toBeNull();
  });

  it('purge purges, with progress, audited as the account that ran the command', async () => {
    const r = await runSignoff(['retention', 'purge', '--workflow', 'ret-cli'], t.url);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ret-cli  purged 1 items finished before');
    expect(r.stderr).toContain('[signoff] ret-cli: batch 1, 1 items');
    expect(await purgedAt()).not.toBeNull();
    const event = await t.db
      .selectFrom('audit_events')
      .select(['actor_type', 'actor_id', 'data'])
      .where('stream', '=', 'config')
      .where('action', '=', 'retention.purged')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({
      actor_type: 'system',
      actor_id: `cli:${userInfo().username}`,
      data: { workflow: 'ret-cli', items: 1, trigger: 'cli', mode: 'delete', days: 30 },
    });
    const again = await runSignoff(['retention', 'purge'], t.url);
    expect(again.stdout).toContain('ret-cli  purged 0 items');
  });
});
