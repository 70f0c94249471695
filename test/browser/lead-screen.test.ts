// The lead's screen in a real browser: their queues' live counts, a queue's tasks with who holds
// them, handing a task to a reviewer (who then holds it), and per-reviewer progress. A reviewer is
// neither offered the screen nor let in.
import { DEMO_PASSWORD, DEMO_USERS } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const LEAD = demoUser('lead');
const REVIEWER = demoUser('reviewer');
const SECOND = DEMO_USERS.find((u) => u.email === 'reviewer2@demo.signoff') as (typeof DEMO_USERS)[number];

let s: TestSignoff;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ demoItems: 30 })]);
  await waitFor(
    async () => {
      const items = await s.db
        .selectFrom('items')
        .select((eb) => [
          eb.fn.countAll<number>().as('all'),
          eb.fn.countAll<number>().filterWhere('status', '=', 'running').as('running'),
        ])
        .executeTakeFirstOrThrow();
      return Number(items.all) === 30 && Number(items.running) === 0 && (await pending('support')) >= 1;
    },
    { timeoutMs: 100_000, message: 'the 30 demo items settled with a pending task in "support"' },
  );
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

async function pending(queue: string): Promise<number> {
  const r = await s.db
    .selectFrom('review_tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('queue', '=', queue)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function userId(email: string): Promise<string> {
  return (await s.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
}

/** The figure in a queue's row under a column of the queues table. */
async function cell(p: Page, queue: string, column: number): Promise<number> {
  const row = p.getByRole('table', { name: 'Open work per queue' }).getByRole('row').filter({ hasText: queue });
  return Number(await row.getByRole('cell').nth(column).textContent());
}

it('a lead sees their queues live, hands a task to a reviewer, and sees each reviewer’s progress', async () => {
  await signIn(page, LEAD.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lead' }).click();
  await page.getByRole('heading', { name: 'Lead overview' }).waitFor();
  const before = await pending('support');
  await waitFor(async () => (await cell(page, 'support', 0)) === before, {
    message: `the support queue to show ${before} pending`,
  });
  await screenshot(page, 'lead-overview.png');

  await page.getByRole('button', { name: 'Show the tasks of support' }).click();
  const tasks = page.getByRole('table', { name: /Open tasks of support/ });
  await tasks.waitFor();
  // The first pending task in claim order: the one claim-next would hand out.
  const first = await s.db
    .selectFrom('review_tasks')
    .select(['id', 'item_id'])
    .where('queue', '=', 'support')
    .where('status', '=', 'pending')
    .orderBy('priority', 'desc')
    .orderBy('due_at', (ob) => ob.asc().nullsLast())
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirstOrThrow();
  const row = tasks.getByRole('row').filter({ hasText: first.item_id.slice(-8) });
  expect(await row.getByRole('cell').nth(1).textContent()).toBe('nobody');
  await row.getByRole('button', { name: /^Reassign / }).click();
  const form = page.getByRole('form', { name: /^Reassign / });
  const select = form.getByLabel('Hand to');
  await select.selectOption({ label: `${SECOND.name} (0 open)` });
  await screenshot(page, 'lead-reassign.png');
  await form.getByRole('button', { name: 'Hand over' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Handed to ${SECOND.name}` })
    .waitFor();

  const moved = await s.db
    .selectFrom('review_tasks')
    .select(['status', 'assignee_id'])
    .where('id', '=', first.id)
    .executeTakeFirstOrThrow();
  expect(moved).toEqual({ status: 'claimed', assignee_id: await userId(SECOND.email) });
  await waitFor(async () => (await row.getByRole('cell').nth(1).textContent()) === SECOND.name, {
    message: 'the task row to show its new holder',
  });
  await waitFor(async () => (await cell(page, 'support', 0)) === before - 1, {
    message: `the support queue to show ${before - 1} pending`,
  });

  // Progress: the second reviewer holds one task now.
  const progress = page.getByRole('table', { name: 'Progress per reviewer' });
  const second = progress.getByRole('row').filter({ hasText: SECOND.name });
  await waitFor(async () => (await second.getByRole('cell').nth(4).textContent()) === '1', {
    message: 'the progress table to show the task the second reviewer holds',
  });
  await screenshot(page, 'lead-progress.png');
});

it('a reviewer is not offered the lead screen, and is refused it', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lead' }).count()).toBe(0);
  await page.goto('/lead');
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
});
