// `signoff train`, the real command in a child process against a database of its own: the printed
// comparison (candidate vs the active version on the same holdout), promotion or not and why,
// --force, and the exit codes.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { supportSeedExamples } from '@signoff/server/demo';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'apps', 'cli');

// Through main.ts once it registers the command; until then, a program with only `train`
// registered the same way, with main.ts's error handling.
const viaMain = readFileSync(join(cli, 'src', 'main.ts'), 'utf8').includes('registerTrainCommand(');
const TRAIN_ONLY = `
import { Command } from 'commander';
import { registerTrainCommand } from './src/commands/train.ts';
const program = new Command().name('signoff').showHelpAfterError();
registerTrainCommand(program);
program.parseAsync(process.argv.slice(1), { from: 'user' }).catch((e) => {
  console.error(e instanceof Error ? 'error: ' + e.message : e);
  process.exit(1);
});`;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

async function signoff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = viaMain
    ? ['--import', 'tsx', 'src/main.ts', ...args]
    : ['--import', 'tsx', '--input-type=module', '-e', TRAIN_ONLY, ...args];
  try {
    const r = await promisify(execFile)(process.execPath, argv, {
      cwd: cli,
      env: { ...process.env, DATABASE_URL: t.url },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const agent = 'support-classifier';

it('exits 1 with a clear message when the agent has no examples', async () => {
  const r = await signoff(['train', '--agent', agent]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`agent "${agent}" has no training examples`);
  expect(await t.db.selectFrom('local_models').select('id').execute()).toEqual([]);
});

it('trains v1, refuses a candidate that does not beat it, and promotes one with --force', async () => {
  await t.db
    .insertInto('seed_examples')
    .values(supportSeedExamples.map((e) => ({ agent, text: e.text, label: e.label })))
    .execute();

  const first = await signoff(['train', '--agent', agent]);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  expect(first.stdout).toContain('train support-classifier on billing, bug, account, how_to, complaint');
  expect(first.stdout).toMatch(/candidate v1 +current\n/);
  expect(first.stdout).toMatch(/holdout accuracy +0\.\d{3} \(\d+\/\d+\) +none active/);
  expect(first.stdout).toContain('promoted: yes\n  why: no active version to compare with\n  active: v1');

  // The same examples again: the same model, so no example tells them apart and p = 1.
  const same = await signoff(['train', '--agent', agent]);
  expect(same.code).toBe(0);
  const holdout = /holdout size +(\d+) +(\d+)/.exec(same.stdout);
  expect(holdout?.[1]).toBe(holdout?.[2]);
  expect(same.stdout).toMatch(/candidate v2 +current v1\n/);
  expect(same.stdout).toMatch(/holdout accuracy +(0\.\d{3} \(\d+\/\d+\)) +\1\n/);
  expect(same.stdout).toMatch(/\n {2}right only here +0 +0\n/);
  expect(same.stdout).toContain('\n  exact McNemar, one-sided: p = 1.00 (promoted at p <= 0.05; b = 0, c = 0)\n');
  expect(same.stdout).toMatch(
    /promoted: no\n {2}why: does not beat v1 on the same \d+ held-out examples at p <= 0\.05: .*; exact McNemar: 0 right only by the candidate, 0 only by v1, one-sided p = 1\.00\n {2}active: v1/,
  );

  const forced = await signoff(['train', '--agent', agent, '--force']);
  expect(forced.code).toBe(0);
  expect(forced.stdout).toMatch(/promoted: yes \(forced\)\n {2}why: forced \(force\): does not beat v1 on the same/);
  expect(forced.stdout).toContain('active: v3');

  const rows = await t.db
    .selectFrom('local_models')
    .select(['version', 'active'])
    .where('agent', '=', agent)
    .orderBy('version')
    .execute();
  expect(rows).toEqual([
    { version: 1, active: false },
    { version: 2, active: false },
    { version: 3, active: true },
  ]);
  const audited = await t.db
    .selectFrom('audit_events')
    .select(['actor_id', 'data'])
    .where('stream', '=', 'config')
    .where('action', '=', 'model.trained')
    .orderBy('seq')
    .execute();
  expect(audited.map((a) => [a.actor_id, a.data.version, a.data.promoted, a.data.forced, a.data.mcnemar])).toEqual([
    ['cli:train', 1, true, false, null],
    ['cli:train', 2, false, false, { b: 0, c: 0, pValue: 1, alpha: 0.05 }],
    ['cli:train', 3, true, true, { b: 0, c: 0, pValue: 1, alpha: 0.05 }],
  ]);
});

it('takes the promotion level from --alpha, and refuses one outside (0, 1)', async () => {
  const lenient = await signoff(['train', '--agent', agent, '--alpha', '0.5']);
  expect(lenient.code).toBe(0);
  expect(lenient.stdout).toContain('(promoted at p <= 0.5; b = 0, c = 0)');
  expect(lenient.stdout).toMatch(/why: does not beat v3 on the same \d+ held-out examples at p <= 0\.5: /);
  const bad = await signoff(['train', '--agent', agent, '--alpha', '1']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--alpha must be a number between 0 and 1');
});

it('trains on the labels given, and refuses an empty list', async () => {
  const narrow = await signoff(['train', '--agent', agent, '--labels', 'billing, bug']);
  expect(narrow.code).toBe(0);
  expect(narrow.stdout).toContain('train support-classifier on billing, bug\n');
  const none = await signoff(['train', '--agent', agent, '--labels', ' , ']);
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('--labels needs at least one label');
  const unknown = await signoff(['train', '--agent', agent, '--labels', 'nonsense']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain(`agent "${agent}" has no training examples with labels nonsense`);
});
