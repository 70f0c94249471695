// The trust commands as a user runs them, in child processes against a database of their own:
// `examples import` (refused lines by number, nothing stored twice), `evaluate` (no item created),
// `certify` (not enough labels: says how many it needs, exit 2), `accuracy`, `policy show`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defineWorkflow } from '@signoff/core';
import { WorkflowRegistry } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { countRows, createTestDatabase, type TestDatabase } from '../support/database';

const cli = join(import.meta.dirname, '..', '..', 'apps', 'cli');
const AGENT = 'cli-intent';
const flow = defineWorkflow({
  name: 'cli-trust',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: AGENT, instructions: 'Refund or shipping?' },
      labels: ['refund', 'shipping'],
      text: (ctx) => ctx.input.text,
      policy: { autoAccept: { maxError: 0.01, confidence: 0.95 }, queue: 'cli' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  await new WorkflowRegistry().register(t.db, flow);
  dir = mkdtempSync(join(tmpdir(), 'signoff-trust-cli-'));
});
afterAll(async () => {
  await t?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signoff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: cli,
      env: { ...process.env, DATABASE_URL: t.url },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const refund = ['I want my money back', 'refund the charge please', 'money back for the broken chair'];
const shipping = ['where is my parcel', 'the package is late', 'track my delivery'];

it('imports labelled examples, refusing bad lines by number, and adds nothing twice', async () => {
  const file = join(dir, 'examples.jsonl');
  const errors = join(dir, 'refused.jsonl');
  writeFileSync(
    file,
    [
      ...refund.map((text) => JSON.stringify({ text, label: 'refund' })),
      '{"text": "no label here"}',
      'not json at all',
      '',
      ...shipping.map((text) => JSON.stringify({ text, label: 'shipping' })),
      JSON.stringify({ text: 'nul\u0000byte', label: 'refund' }),
    ].join('\n'),
  );
  const r = await signoff(['examples', 'import', file, '--agent', AGENT, '--errors', errors]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(
    `${AGENT}: 9 examples read, 6 added, 0 already there, 3 refused (valid: refund 3, shipping 3)`,
  );
  const refused = readFileSync(errors, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; message: string });
  expect(refused.map((x) => x.line)).toEqual([4, 5, 10]);
  expect(refused[0]?.message).toBe('label: Invalid input: expected string, received undefined');
  expect(refused[2]?.message).toMatch(/^text: contains a NUL character/);
  expect(await countRows(t.db, 'seed_examples')).toBe(6);
  const again = await signoff(['examples', 'import', file, '--agent', AGENT]);
  expect(again.stdout).toContain('0 added');
  expect(again.stdout).toContain('6 already there');
  expect(await countRows(t.db, 'seed_examples')).toBe(6);
  const audit = await t.db
    .selectFrom('audit_events')
    .select(['action', 'data'])
    .where('action', '=', 'examples.imported')
    .execute();
  expect(audit).toHaveLength(2);
  expect(audit[0]?.data).toMatchObject({ agent: AGENT, read: 9, added: 6, invalid: 3 });
});

it('evaluates the model on a labelled file without creating an item', async () => {
  const file = join(dir, 'eval.jsonl');
  writeFileSync(
    file,
    [
      ...refund.map((text) => ({ text: `${text}!`, label: 'refund' })),
      ...shipping.map((text) => ({ text: `${text}?`, label: 'shipping' })),
    ]
      .map((x) => JSON.stringify(x))
      .join('\n'),
  );
  const r = await signoff(['evaluate', '--agent', AGENT, '--file', file, '--json']);
  expect(r.code).toBe(0);
  const e = JSON.parse(r.stdout) as {
    examples: number;
    accuracy: number;
    curve: unknown[];
    atTarget: { maxError: number };
  };
  expect(e.examples).toBe(6);
  expect(e.accuracy).toBe(1);
  expect(e.curve.length).toBeGreaterThan(0);
  expect(e.atTarget.maxError).toBe(0.01);
  expect(await countRows(t.db, 'items')).toBe(0);
  expect(await countRows(t.db, 'decisions')).toBe(0);
  const bad = await signoff(['evaluate', '--agent', AGENT, '--file', file, '--max-error', '2']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--max-error must be between 0 and 1');
});

it('shows the uncertified policy, and refuses to certify without decisions', async () => {
  const show = await signoff(['policy', 'show']);
  expect(show.code).toBe(0);
  expect(show.stdout).toContain('cli-trust / classify: uncertified (policy v1)');
  expect(show.stdout).toContain('Not certified yet: everything goes to review.');
  const c = await signoff(['certify', '--workflow', 'cli-trust', '--state', 'classify']);
  expect(c.code).toBe(1);
  expect(c.stderr).toContain('"classify" of "cli-trust" has no scored decisions yet');
  const unknown = await signoff(['certify', '--workflow', 'cli-trust', '--state', 'nope']);
  expect(unknown.stderr).toContain('"nope" of "cli-trust" declares no certified auto-accept');
  const pause = await signoff(['policy', 'pause', '--workflow', 'cli-trust', '--state', 'classify', '--reason', 'x']);
  expect(pause.code).toBe(1);
  expect(pause.stderr).toContain('--reason: Say why (at least 3 characters)');
  const accuracy = await signoff(['accuracy']);
  expect(accuracy.stdout).toContain('No decisions with a recorded audit probability match.');
});
