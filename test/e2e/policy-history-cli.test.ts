// `signoff policy history` as a user runs it, in a child process against a database of its own:
// the table, JSON and CSV of the same changes, the filters, a pause from the CLI naming the OS user,
// and bad options refused naming the option.
import { userInfo } from 'node:os';
import { defineWorkflow } from '@signoff/core';
import { WorkflowRegistry } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import { applyCertificate } from '@signoff/trust';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertCertificate } from '../support/policy-history';
import { runSignoff } from '../support/signoff-cli';

const flow = (autoAcceptAt: number, changeNote?: string) =>
  defineWorkflow({
    name: 'cli-policy',
    ...(changeNote ? { changeNote } : {}),
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: 'cli-policy-agent', instructions: 'Refund or shipping?' },
        labels: ['refund', 'shipping'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt, queue: 'cli' },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });

const certified = defineWorkflow({
  name: 'cli-certified',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'cli-policy-agent', instructions: 'Refund or shipping?' },
      labels: ['refund', 'shipping'],
      text: (ctx) => ctx.input.text,
      policy: { autoAccept: { maxError: 0.05, confidence: 0.95 }, queue: 'cli' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  const registry = new WorkflowRegistry({ deployedBy: 'ops@bank.test' });
  await registry.register(t.db, flow(0.8));
  await registry.register(t.db, flow(0.9, 'Fewer automatic refunds after the October review'));
  await registry.register(t.db, certified);
  const certificateId = await insertCertificate(t.db, {
    workflow: 'cli-certified',
    state: 'classify',
    threshold: 3,
    modelVersion: 'lr-v1',
    actor: SYSTEM,
  });
  await applyCertificate(t.db, certificateId, SYSTEM, 'set up by the test');
});
afterAll(() => t.drop());

it('prints the threshold change as a table, JSON and CSV with who, when and why', async () => {
  const table = await runSignoff(['policy', 'history', '--workflow', 'cli-policy', '--kind', 'threshold'], t.url);
  expect(table.code).toBe(0);
  const lines = table.stdout.trim().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(
    /^\d{4}-\d\d-\d\dT\S+Z {2}cli-policy v2 \/ classify {2}threshold autoAcceptAt {2}by deploy: ops@bank\.test$/,
  );
  expect(lines[1]).toBe('  0.8 -> 0.9');
  expect(lines[2]).toMatch(
    /^ {2}why: Fewer automatic refunds after the October review {2}\(config #\d+ workflow\.registered\)$/,
  );

  const json = await runSignoff(['policy', 'history', '--workflow', 'cli-policy', '--format', 'json'], t.url);
  expect(json.code).toBe(0);
  const changes = JSON.parse(json.stdout) as { kind: string; field: string; old: unknown; new: unknown }[];
  expect(changes.map((c) => [c.kind, c.field, c.old, c.new])).toEqual([
    ['threshold', 'autoAcceptAt', 0.8, 0.9],
    ['state', 'policy', null, { autoAcceptAt: 0.8, queue: 'cli', risks: [] }],
  ]);

  const csv = await runSignoff(
    ['policy', 'history', '--workflow', 'cli-policy', '--state', 'classify', '--format', 'csv'],
    t.url,
  );
  expect(csv.code).toBe(0);
  const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
  expect(rows.map((r) => [r.who, r.workflow, r.version, r.field, r.old, r.new, r.why])).toEqual([
    [
      'deploy: ops@bank.test',
      'cli-policy',
      '2',
      'autoAcceptAt',
      '0.8',
      '0.9',
      'Fewer automatic refunds after the October review',
    ],
    [
      'deploy: ops@bank.test',
      'cli-policy',
      '1',
      'policy',
      '(none)',
      'autoAcceptAt: 0.8; queue: cli; risks: []',
      '(no reason recorded)',
    ],
  ]);
});

it('pages through everything and stops at --limit', async () => {
  const one = await runSignoff(
    ['policy', 'history', '--workflow', 'cli-policy', '--limit', '1', '--format', 'json'],
    t.url,
  );
  expect(JSON.parse(one.stdout).map((c: { field: string }) => c.field)).toEqual(['autoAcceptAt']);
});

it('refuses bad options, naming them', async () => {
  const kind = await runSignoff(['policy', 'history', '--kind', 'bogus'], t.url);
  expect(kind.code).not.toBe(0);
  expect(kind.stderr).toContain("option '--kind <kind>' argument 'bogus' is invalid");
  const from = await runSignoff(['policy', 'history', '--from', 'last tuesday'], t.url);
  expect(from.code).not.toBe(0);
  expect(from.stderr).toContain('--from: Expected a date');
  const format = await runSignoff(['policy', 'history', '--format', 'pdf'], t.url);
  expect(format.stderr).toContain("option '--format <format>' argument 'pdf' is invalid");
});

it('names the operating-system user of a CLI policy change, which needs a reason', async () => {
  const apply = await runSignoff(['certify', '--workflow', 'cli-certified', '--state', 'classify', '--apply'], t.url);
  expect(apply.code).not.toBe(0);
  expect(apply.stderr).toContain('--reason: Applying a certificate changes policy: say why');
  const pause = await runSignoff(
    ['policy', 'pause', '--workflow', 'cli-certified', '--state', 'classify', '--reason', 'Checking the CLI'],
    t.url,
  );
  expect(pause.code).toBe(0);
  const json = await runSignoff(
    ['policy', 'history', '--workflow', 'cli-certified', '--kind', 'auto_accept', '--format', 'json'],
    t.url,
  );
  const [paused] = JSON.parse(json.stdout) as {
    actor: { label: string };
    reason: string;
    old: unknown;
    new: unknown;
  }[];
  expect(paused).toMatchObject({
    actor: { label: `CLI: signoff policy (${userInfo().username})` },
    reason: 'paused by a person: Checking the CLI',
    old: 'certified',
    new: 'paused',
  });
});
