// `signoff audit checkpoint|public-key|export|verify --bundle` as a user runs them, `verify
// --bundle` without any database (its DATABASE_URL points nowhere), with its exit codes: 0
// verified, 5 tampered, 2 bad input; the bundle download route; the periodic checkpoint job.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyBundle } from '@signoff/governance';
import { AUDIT_CHECKPOINT_QUEUE, DEMO_PASSWORD } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-client';
import { auditedItems, testSigningKey } from '../support/audited-items';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';
import { runSignoffWithStdin } from '../support/signoff-cli';

const dir = mkdtempSync(join(tmpdir(), 'signoff-audit-'));
const keyFile = join(dir, 'signing-key.pem');
const { pem, signer } = testSigningKey();
writeFileSync(keyFile, pem, { mode: 0o600 });
const publicKeyFile = join(dir, 'public-key.pem');
/** No database listens there: a command that tried to open one would fail. */
const NO_DATABASE = 'postgres://postgres@127.0.0.1:1/nothing';

let s: TestSignoff;
const items: string[] = [];

beforeAll(async () => {
  s = await startTestSignoff({
    workers: true,
    env: { SIGNOFF_AUDIT_SIGNING_KEY_FILE: keyFile, SIGNOFF_AUDIT_CHECKPOINT_CRON: '*/7 * * * *' },
  });
  const itemWithEvents = await auditedItems(s.testDb.db, 'audit-cli');
  for (let n = 0; n < 2; n++) items.push(await itemWithEvents(3));
});
afterAll(() => s?.close());

const signoff = (args: string[], databaseUrl = s.testDb.url, env: Record<string, string> = {}) =>
  runSignoffWithStdin(args, databaseUrl, { env: { SIGNOFF_AUDIT_SIGNING_KEY_FILE: keyFile, ...env } });

describe('signoff audit', () => {
  it('public-key prints the PEM of the configured key, and --out writes it', async () => {
    const r = await signoff(['audit', 'public-key']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(signer.publicKeyPem);
    const w = await signoff(['audit', 'public-key', '--out', publicKeyFile]);
    expect(w.code).toBe(0);
    expect(await readFile(publicKeyFile, 'utf8')).toBe(signer.publicKeyPem);
  });

  it('checkpoint signs what moved, and says so when nothing did', async () => {
    const r = await signoff(['audit', 'checkpoint']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/checkpoint \d+: \d+ streams, root [0-9a-f]{64}/);
    const again = await signoff(['audit', 'checkpoint']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing moved since the last checkpoint');
  });

  it('export writes a bundle that verify --bundle verifies without a database (exit 0)', async () => {
    const out = join(dir, 'one.json');
    const r = await signoff(['audit', 'export', '--out', out, '--item', items[0] as string]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}: 1 streams, 3 events`);
    const v = await signoff(['audit', 'verify', '--bundle', out, '--public-key', publicKeyFile], NO_DATABASE);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`${out}: VERIFIED: 1 streams, 3 events`);
  });

  it('verify --bundle exits 5 naming the event edited in the file', async () => {
    const out = join(dir, 'edited.json');
    expect((await signoff(['audit', 'export', '--out', out, '--item', items[1] as string])).code).toBe(0);
    const bundle = JSON.parse(await readFile(out, 'utf8'));
    bundle.streams[0].events[1].data = { i: 20 };
    await writeFile(out, JSON.stringify(bundle));
    const v = await signoff(['audit', 'verify', '--bundle', out, '--public-key', publicKeyFile], NO_DATABASE);
    expect(v.code).toBe(5);
    expect(v.stderr).toContain('TAMPERED');
    expect(v.stderr).toContain(`Stream ${items[1]} event 2: its content does not match its hash (edited)`);
  });

  it('verify --bundle exits 5 for a bundle checked against another key', async () => {
    const other = join(dir, 'other.pem');
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writeFile(other, otherKey);
    const v = await signoff(['audit', 'verify', '--bundle', join(dir, 'one.json'), '--public-key', other], NO_DATABASE);
    expect(v.code).toBe(5);
    expect(v.stderr).toMatch(/The bundle was signed by key [0-9a-f]{64}, not by the public key given/);
  });

  it('verify --bundle exits 2 for what is not a bundle, a missing file or no key', async () => {
    const junk = join(dir, 'junk.json');
    await writeFile(junk, '{"hello": "world"}');
    const v = await signoff(['audit', 'verify', '--bundle', junk, '--public-key', publicKeyFile], NO_DATABASE);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain(
      'error: The bundle is not a Signoff audit bundle: format: expected format "signoff-audit-bundle"',
    );
    const missing = await signoff([
      'audit',
      'verify',
      '--bundle',
      join(dir, 'none.json'),
      '--public-key',
      publicKeyFile,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read the bundle');
    const noKey = await signoff(['audit', 'verify', '--bundle', junk], NO_DATABASE);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--bundle needs --public-key FILE');
  });

  it('export refuses a bad item id (2), an unknown item (4), and works only with a key', async () => {
    const out = join(dir, 'never.json');
    const bad = await signoff(['audit', 'export', '--out', out, '--item', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Item ids must be UUIDs (got "nope")');
    const unknown = await signoff(['audit', 'export', '--out', out, '--item', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(4);
    const noKey = await signoff(['audit', 'export', '--out', out], s.testDb.url, {
      SIGNOFF_AUDIT_SIGNING_KEY_FILE: '',
      SIGNOFF_DATA_DIR: dir,
    });
    expect(noKey.code).toBe(4);
    expect(noKey.stderr).toContain('No audit signing key is configured');
  });
});

describe('the server', () => {
  it('schedules checkpoints with the configured cron and makes one when the job runs', async () => {
    const schedules = await s.boss.getSchedules();
    expect(schedules.map((x) => [x.name, x.cron])).toContainEqual([AUDIT_CHECKPOINT_QUEUE, '*/7 * * * *']);
    const item = { id: await (await auditedItems(s.testDb.db, 'audit-cli'))(1) };
    await s.boss.send(AUDIT_CHECKPOINT_QUEUE, {});
    await waitFor(
      () =>
        s.testDb.db
          .selectFrom('audit_checkpoint_leaves')
          .select('seq')
          .where('stream', '=', item.id)
          .executeTakeFirst(),
      { message: 'the scheduled job checkpoints the new item' },
    );
  });

  it('serves the bundle to compliance over HTTP, and refuses the rest with 4xx', async () => {
    const url = (q: string) => `${s.url}/api/v1/audit/bundle${q}`;
    expect((await fetch(url(''))).status).toBe(401);
    const tokenOf = async (email: string) =>
      (await apiClient(s.url).auth.login.mutate({ email, password: DEMO_PASSWORD, session: 'bearer' })).token;
    const reviewer = await tokenOf('reviewer@demo.signoff');
    expect((await fetch(url(''), { headers: { authorization: `Bearer ${reviewer}` } })).status).toBe(403);
    const auth = { headers: { authorization: `Bearer ${await tokenOf('compliance@demo.signoff')}` } };
    const bad = await fetch(url('?item=nope&from=yesterday'), auth);
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['from', 'item.0']);
    expect((await fetch(url('?color=red'), auth)).status).toBe(400);
    expect((await fetch(url('?item=00000000-0000-4000-8000-000000000000'), auth)).status).toBe(404);
    const ok = await fetch(url(`?item=${items[0]}&item=${items[1]}`), auth);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-disposition')).toMatch(/^attachment; filename="signoff-audit-.*\.json"$/);
    const v = verifyBundle(await ok.text(), signer.publicKeyPem);
    expect(v.status).toBe('verified');
    if (v.status === 'bad-input') return;
    expect(v.streams.map((x) => x.stream).sort()).toEqual([...items].sort());
  });
});
