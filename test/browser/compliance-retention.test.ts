// The retention screen through the real console in a real browser: compliance reads each
// workflow's period, what is past it and the last purge, and cannot purge; an admin purges by hand
// after a dry run that says what would go, and the purge lands in the audit trail under their name;
// a reviewer has no Compliance section.
import { verifyAuditStream } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectAccessible } from '../support/accessibility';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const ADMIN = demoUser('admin');
const COMPLIANCE = demoUser('compliance');
const REVIEWER = demoUser('reviewer');

let s: TestSignoff;
let browser: Browser;
let page: Page;
let old: string[];

beforeAll(async () => {
  [browser, s] = await Promise.all([
    launchBrowser(),
    // The schedule off: this test purges by hand, and nothing may purge behind its back.
    startTestSignoff({ workers: false, demoHistoryDays: 3, env: { SIGNOFF_RETENTION_SCHEDULE: 'off' } }),
  ]);
  // Four of the demo's finished tickets closed 100 days ago: past the demo workflow's 90 days.
  const rows = await sql<{ id: string }>`
    UPDATE items SET finished_at = now() - interval '100 days'
     WHERE id IN (SELECT id FROM items WHERE finished_at IS NOT NULL AND status <> 'running' ORDER BY id LIMIT 4)
       AND NOT EXISTS (SELECT 1 FROM review_tasks t WHERE t.item_id = items.id AND t.status <> 'done')
    RETURNING id`.execute(s.testDb.db);
  old = rows.rows.map((r) => r.id);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

/** Every string value in a JSON value (not the keys). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** From the main navigation's Compliance section to its Retention tab, as a person goes there. */
async function openRetention() {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).click();
  await page.getByRole('navigation', { name: 'Compliance' }).getByRole('link', { name: 'Retention' }).click();
  await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
}

const row = () => page.getByRole('row', { name: /support-triage/ });

it('compliance reads the period, the items due and the last purge, and has no purge button', async () => {
  expect(old).toHaveLength(4);
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await openRetention();
  await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
  await row().waitFor();
  const cells = await row().getByRole('cell').allTextContents();
  expect(cells.slice(0, 5)).toEqual(['90 days, anonymise (the workflow)', expect.any(String), '4', '0', '0']);
  expect(cells[5]).toBe('Never');
  await expect(page.getByRole('button', { name: /Purge/ }).count()).resolves.toBe(0);
  await screenshot(page, 'compliance-retention-status.png');
  await expectAccessible(page, 'retention');
});

it('an admin purges after a dry run; the status and the audit trail show it', async () => {
  await signIn(page, ADMIN.email, DEMO_PASSWORD);
  await openRetention();
  await row().waitFor();
  await page.getByRole('button', { name: 'Purge support-triage…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Purge support-triage?' });
  await dialog.waitFor();
  expect(await dialog.textContent()).toContain('support-triage: 4 items finished before');
  // The dry run changed nothing.
  const purgedBefore = await s.testDb.db.selectFrom('items').select('id').where('purged_at', 'is not', null).execute();
  expect(purgedBefore).toEqual([]);
  await screenshot(page, 'compliance-retention-confirm.png', { fullPage: false });
  await expectAccessible(page, 'retention purge dialog');

  await dialog.getByRole('button', { name: 'Purge 4 items' }).click();
  await page.getByText('Purged the payloads of 4 items').waitFor();
  await dialog.waitFor({ state: 'detached' });
  const cells = await row().getByRole('cell').allTextContents();
  expect(cells.slice(2, 5)).toEqual(['0', '0', '4']);
  expect(cells[5]).toContain(`4 items · ${ADMIN.name}`);
  expect(await page.getByRole('button', { name: 'Purge support-triage…' }).isDisabled()).toBe(true);
  await screenshot(page, 'compliance-retention-purged.png');

  // The item's timeline: its trail intact, the purge on it, the payloads gone from their tables.
  await page.goto(`/items/${old[0]}`);
  await page.getByText('✓ Hash chain intact').waitFor();
  await page.getByRole('heading', { name: 'Payloads purged (retention)' }).waitFor();
  await page.getByText('Payloads purged', { exact: true }).waitFor();
  await screenshot(page, 'compliance-retention-timeline.png');
  await expectAccessible(page, 'purged item timeline');

  const purged = await s.testDb.db
    .selectFrom('items')
    .select(['id', 'input'])
    .where('purged_at', 'is not', null)
    .execute();
  expect(purged.map((p) => p.id).sort()).toEqual([...old].sort());
  // Anonymised: the ticket's structure stays, no string of it does.
  for (const p of purged) {
    expect(Object.keys(p.input as object).length).toBeGreaterThan(0);
    expect(new Set(strings(p.input))).toEqual(new Set(['[anonymised]']));
  }
  for (const id of old) expect((await verifyAuditStream(s.testDb.db, id)).ok).toBe(true);
  const event = await s.testDb.db
    .selectFrom('audit_events as e')
    .innerJoin('users as u', (j) => j.onRef('u.id', '=', (eb) => eb.cast('e.actor_id', 'uuid')))
    .select(['u.email', 'e.data'])
    .where('e.stream', '=', 'config')
    .where('e.action', '=', 'retention.purged')
    .executeTakeFirstOrThrow();
  expect(event).toMatchObject({ email: ADMIN.email, data: { workflow: 'support-triage', items: 4, trigger: 'api' } });
});

it('a reviewer has no Compliance section', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).count(),
  ).resolves.toBe(0);
});
