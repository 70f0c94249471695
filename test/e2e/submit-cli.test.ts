// `signoff submit FILE.jsonl`, the real CLI in a child process, against a running Signoff: good
// lines are created, malformed and invalid ones are reported by line number and make the exit code
// 1, and a second run of the same file creates nothing new.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_API_KEY } from '@signoff/server';
import { generateSupportItems } from '@signoff/server/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'signoff-submit-'));

let s: TestSignoff;
beforeAll(async () => {
  // No workers: what is checked is what ingestion stored, and 1,200 items need no model.
  s = await startTestSignoff({ demoItems: 0, workers: false });
});
afterAll(() => s?.close());

async function signoff(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, SIGNOFF_URL: '', SIGNOFF_API_KEY: '', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const countItems = async (workflow = 'support-triage') =>
  Number(
    (
      await s.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workflow_name', '=', workflow)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** A URL where nothing listens: a port the OS gave us and we let go of. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function counts(out: string) {
  // The closing summary, not a progress line: `… failed (1203 lines) in 2.1s, 573 items/s`.
  const m = out.match(/(\d+) created, (\d+) existing, (\d+) invalid, (\d+) failed \(\d+ lines\) in /);
  expect(m, `no summary in:\n${out}`).toBeTruthy();
  const [, created, existing, invalid, failed] = (m as RegExpMatchArray).map(Number);
  return { created, existing, invalid, failed };
}

describe('signoff submit', () => {
  // 1,200 tickets: even lines bring their own key and workflow, odd lines rely on --workflow and a
  // derived key. Line 101 is cut short, line 702 is not JSON, line 403 has an invalid email.
  const file = join(dir, 'tickets.jsonl');
  const errors = join(dir, 'rejected.jsonl');
  const lines = generateSupportItems(1200, 31).map((t, n) =>
    JSON.stringify(n % 2 === 0 ? { workflow: 'support-triage', ...t } : { input: t.input }),
  );
  lines.splice(100, 0, '{"workflow": "support-triage", "input": {"ticketId": ');
  const badEmail = generateSupportItems(1, 32)[0]?.input as { customer: object };
  lines.splice(402, 0, JSON.stringify({ input: { ...badEmail, customer: { ...badEmail.customer, email: 'nope' } } }));
  lines.splice(701, 0, 'this is not JSON');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const args = () => [
    'submit',
    file,
    '--workflow',
    'support-triage',
    '--url',
    s.url,
    '--batch-size',
    '250',
    '--errors',
    errors,
  ];

  it('submits every good line, reports the bad ones by line number, and exits 1', async () => {
    const r = await signoff(args(), { SIGNOFF_API_KEY: DEMO_API_KEY });
    expect(counts(r.stdout)).toEqual({ created: 1200, existing: 0, invalid: 3, failed: 0 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/items\/s/);
    expect(r.stderr).toMatch(/line 101: invalid: malformed JSON/);
    expect(r.stderr).toMatch(/line 403: invalid: .*input\.customer\.email/);
    expect(r.stderr).toMatch(/line 702: invalid: malformed JSON/);
    expect(await countItems()).toBe(1200);

    const rejected = readFileSync(errors, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; status: string; error: { code: string } });
    expect(rejected.map((e) => e.line).sort((a, b) => a - b)).toEqual([101, 403, 702]);
    expect(rejected.find((e) => e.line === 101)?.error.code).toBe('MALFORMED_JSON');
    expect(rejected.find((e) => e.line === 403)?.error.code).toBe('BAD_INPUT');
  });

  it('run again on the same file, creates nothing new', async () => {
    const r = await signoff(args(), { SIGNOFF_API_KEY: DEMO_API_KEY });
    expect(counts(r.stdout)).toEqual({ created: 0, existing: 1200, invalid: 3, failed: 0 });
    expect(r.code).toBe(1);
    expect(await countItems()).toBe(1200);
  });

  it('exits 0 on a clean file, with plain progress lines when stdout is not a terminal', async () => {
    const clean = join(dir, 'clean.jsonl');
    const items = generateSupportItems(30, 33).map((t) => JSON.stringify({ workflow: 'support-triage', ...t }));
    writeFileSync(clean, items.join('\n'));
    const r = await signoff(['submit', clean, '--batch-size', '7', '--concurrency', '3'], {
      SIGNOFF_URL: s.url,
      SIGNOFF_API_KEY: DEMO_API_KEY,
    });
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toEqual({ created: 30, existing: 0, invalid: 0, failed: 0 });
    expect(r.stdout).toMatch(/\[signoff\] submit: \d+% \| \d+ lines/);
    expect(r.stdout).not.toContain('\u001b['); // no terminal escapes in a log
  });

  it('stops at once with exit 1 when the API key is refused', async () => {
    const r = await signoff(['submit', file, '--url', s.url, '--api-key', 'sk_wrong', '--workflow', 'support-triage']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stopped early: HTTP 401/);
    expect(await countItems()).toBe(1230);
  });

  it('stops with exit 1 when the server cannot be reached, after retrying', async () => {
    const r = await signoff([
      'submit',
      file,
      '--workflow',
      'support-triage',
      '--url',
      await closedPortUrl(),
      '--api-key',
      DEMO_API_KEY,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lines 1-\d+: failed: fetch failed/);
    expect(r.stderr).toMatch(/stopped early/);
  });

  it('needs an API key', async () => {
    const r = await signoff(['submit', file, '--url', s.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--api-key/);
  });
});
