// The reviewer's path through the real console in a real browser: sign in, claim, read the AI's
// answer and why it was routed, correct it (the next task opens), and see the queue and the label
// table agree; with auto-next turned off, a verdict goes back to the queue.
import { CSRF_COOKIE, csrfTokenFor, SESSION_COOKIE } from '@signoff/api';
import { sha256 } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { countPendingTasks } from '../support/database';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const REVIEWER = demoUser('reviewer');
const LEAD = demoUser('lead');
const DATA_SCIENTIST = demoUser('data_scientist');
/** The demo reviewer's queues: the queue screen counts only these. */
const REVIEWER_QUEUES = ['support', 'refunds', 'priority'];

let s: TestSignoff;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ demoItems: 40 })]);
  // Let the workers finish the demo items, so the queue holds still while we read it.
  await waitFor(
    async () => {
      const items = await s.db
        .selectFrom('items')
        .select((eb) => [
          eb.fn.countAll<number>().as('all'),
          eb.fn.countAll<number>().filterWhere('status', '=', 'running').as('running'),
        ])
        .executeTakeFirstOrThrow();
      return Number(items.all) === 40 && Number(items.running) === 0 && (await pendingInDb()) >= 2;
    },
    { timeoutMs: 100_000, message: 'the 40 demo items settled with at least 2 pending review tasks' },
  );
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ context, page } = c),
);

it('a reviewer claims a task, corrects the AI, and the queue and labels show it', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.getByText(REVIEWER.name).waitFor();

  // The session is an HttpOnly SameSite cookie; the page keeps only the profile it shows.
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === SESSION_COOKIE);
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/trpc', secure: false });
  expect(cookies.find((c) => c.name === CSRF_COOKIE)).toMatchObject({ httpOnly: false, sameSite: 'Strict', path: '/' });
  const stored = await page.evaluate(() => localStorage.getItem('signoff.session'));
  expect(JSON.parse(stored ?? 'null')).toEqual({
    user: { id: expect.any(String), email: REVIEWER.email, name: REVIEWER.name, role: 'reviewer' },
  });
  expect(stored).not.toContain(session?.value);
  expect(await page.evaluate(() => document.cookie)).not.toContain(SESSION_COOKIE);

  const before = await displayedPending(page);
  expect(before).toBe(await pendingInDb());
  expect(before).toBeGreaterThanOrEqual(2);
  await screenshot(page, 'queue.png');

  // The support queue holds AI decisions (higher-priority review steps may head the others).
  expect(await page.getByRole('button', { name: 'Claim next task', exact: true }).isEnabled()).toBe(true);
  await page.getByRole('button', { name: 'Claim from support' }).click();
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  const taskId = page.url().split('/').pop() as string;
  const task = await s.db
    .selectFrom('review_tasks as t')
    .innerJoin('decisions as d', 'd.id', 't.decision_id')
    .select(['t.item_id', 't.labels', 't.reasons', 't.status', 'd.label', 'd.calibrated_confidence', 'd.model_version'])
    .where('t.id', '=', taskId)
    .executeTakeFirstOrThrow();
  expect(task.status).toBe('claimed');
  const aiLabel = task.label as string;

  // The task view shows the AI's answer, its confidence, and why a person is looking at it.
  await page.getByRole('heading', { name: 'support-triage' }).waitFor();
  // Which version of the workflow this item runs.
  expect(await page.getByRole('heading', { name: 'support-triage' }).textContent()).toContain('v1');
  const answer = page.getByRole('region', { name: 'AI answer' });
  expect(await answer.textContent()).toContain(aiLabel);
  expect(await answer.textContent()).toContain(task.model_version);
  const meter = page.getByRole('meter', { name: 'Confidence' });
  expect(await meter.isVisible()).toBe(true);
  const percent = `${Math.round(task.calibrated_confidence * 100)}%`;
  expect(await answer.textContent()).toContain(percent);
  const reasons = page.getByRole('region', { name: 'Why you are seeing this' });
  expect(task.reasons.length).toBeGreaterThan(0);
  for (const r of task.reasons) expect(await reasons.textContent()).toContain(r.message);
  expect(await page.getByRole('button', { name: `Confirm ${aiLabel}` }).isEnabled()).toBe(true);
  await screenshot(page, 'task-view.png');

  // Correct it, keyboard first: the label's number, a reason, Ctrl+Enter. Not "complaint", which
  // would send the ticket on to another review and blur what the queue count shows.
  const correction = task.labels.find((l) => l !== aiLabel && l !== 'complaint') as string;
  await page.keyboard.press(String(task.labels.indexOf(correction) + 1));
  expect(await page.getByRole('radio', { name: correction, exact: true }).isChecked()).toBe(true);
  expect(await page.getByRole('radio', { name: aiLabel, exact: true }).isDisabled()).toBe(true);
  const reason = page.getByLabel('Reason for the correction');
  await page.keyboard.press('Control+Enter');
  await page.getByText('Say why you override the AI').waitFor();
  expect(await reason.getAttribute('aria-invalid')).toBe('true');
  await reason.fill('The customer asks about something else than the AI read.');
  await screenshot(page, 'task-correction.png');
  await page.keyboard.press('Control+Enter');

  // Auto-next (on by default): the next task opens at once, and the outcome is announced.
  await page
    .getByRole('status')
    .filter({ hasText: `Correction saved: “${aiLabel}” → “${correction}”. Next task opened.` })
    .waitFor();
  await page.waitForURL((u) => /^\/tasks\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(taskId));
  const nextId = page.url().split('/').pop() as string;
  const next = await s.db
    .selectFrom('review_tasks as t')
    .innerJoin('users as u', 'u.id', 't.assignee_id')
    .select(['t.status', 'u.email'])
    .where('t.id', '=', nextId)
    .executeTakeFirstOrThrow();
  expect(next).toEqual({ status: 'claimed', email: REVIEWER.email });
  await page.getByRole('heading', { name: 'Your verdict' }).waitFor();

  const label = await s.db
    .selectFrom('labels')
    .select(['is_correction', 'ai_label', 'human_label', 'reason', 'reviewer_id'])
    .where('item_id', '=', task.item_id)
    .executeTakeFirstOrThrow();
  expect(label).toMatchObject({ is_correction: true, ai_label: aiLabel, human_label: correction });
  expect(label.reason).toContain('something else');

  // The item moves on after the verdict; an enterprise customer's ticket goes on to a support lead,
  // which is a new pending task. Count it, then the console must show exactly the database's figure.
  await waitFor(
    async () =>
      (await s.db.selectFrom('items').select('status').where('id', '=', task.item_id).executeTakeFirstOrThrow())
        .status !== 'running',
    { message: 'the corrected item to settle' },
  );
  const followUps = await s.db
    .selectFrom('review_tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('item_id', '=', task.item_id)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  // Two claimed (the corrected task and the one that opened next), and any follow-up.
  const expected = before - 2 + Number(followUps.n);
  expect(await pendingInDb()).toBe(expected);
  await page.getByRole('link', { name: '← Queue' }).click();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await waitFor(async () => (await displayedPending(page)) === expected, {
    message: `the queue to show ${expected} pending (was ${before})`,
  });
  if (Number(followUps.n) === 0) expect(expected).toBeLessThan(before);
  await screenshot(page, 'queue-after.png');
});

it('with auto-next off, C confirms and returns to the queue, and a review step without an AI answer takes the picked label', async () => {
  // Complaints and enterprise customers reach a support lead: a review step with no AI answer.
  const escalations = await waitFor(
    async () => {
      const r = await s.db
        .selectFrom('review_tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('queue', '=', 'priority')
        .where('status', '=', 'pending')
        .where('decision_id', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(r.n) > 0 ? Number(r.n) : undefined;
    },
    { message: 'an escalation review in the priority queue' },
  );
  expect(escalations).toBeGreaterThan(0);
  await signIn(page, LEAD.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();

  // The setting is kept in this browser: off stays off after a reload.
  const autoNext = page.getByRole('checkbox', { name: 'Open the next task after each verdict' });
  expect(await autoNext.isChecked()).toBe(true);
  await autoNext.uncheck();
  expect(await page.evaluate(() => localStorage.getItem('signoff.autoNext'))).toBe('off');
  await page.reload();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  expect(await autoNext.isChecked()).toBe(false);

  // The support queue holds AI decisions only: C confirms one and the console moves on.
  const confirmedId = await claimFrom(page, 'support');
  const aiLabel = (
    await s.db
      .selectFrom('review_tasks as t')
      .innerJoin('decisions as d', 'd.id', 't.decision_id')
      .select('d.label')
      .where('t.id', '=', confirmedId)
      .executeTakeFirstOrThrow()
  ).label;
  await page.keyboard.press('c');
  await page
    .getByRole('status')
    .filter({ hasText: `Confirmed “${aiLabel}”` })
    .waitFor();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/');
  const confirmedLabel = await s.db
    .selectFrom('labels as l')
    .innerJoin('reviews as r', 'r.id', 'l.review_id')
    .select(['r.verdict', 'l.is_correction', 'l.human_label'])
    .where('r.task_id', '=', confirmedId)
    .executeTakeFirstOrThrow();
  expect(confirmedLabel).toEqual({ verdict: 'confirm', is_correction: false, human_label: aiLabel });

  // In the priority queue AI decisions may come first: confirm them until the review step comes up.
  for (let round = 0; ; round++) {
    expect(round).toBeLessThan(20);
    const taskId = await claimFrom(page, 'priority');
    const task = await s.db
      .selectFrom('review_tasks')
      .select(['decision_id', 'item_id', 'labels'])
      .where('id', '=', taskId)
      .executeTakeFirstOrThrow();
    if (task.decision_id === null) {
      const ai = page.getByRole('region', { name: 'AI answer' });
      expect(await ai.textContent()).toContain('No AI answer');
      expect(await page.getByRole('button', { name: /^Confirm/ }).count()).toBe(0);
      await page.keyboard.press('1');
      const choice = task.labels[0] as string;
      expect(await page.getByRole('radio', { name: choice, exact: true }).isChecked()).toBe(true);
      await page.getByLabel('Note (optional)').fill('Called the customer back; sorted.');
      await screenshot(page, 'review-step.png');
      await page.keyboard.press('Control+Enter');
      await page
        .getByRole('status')
        .filter({ hasText: `Answer saved: “${choice}”` })
        .waitFor();
      const label = await s.db
        .selectFrom('labels')
        .select(['is_correction', 'ai_label', 'human_label'])
        .where('item_id', '=', task.item_id)
        .where('state', '=', 'escalationReview')
        .executeTakeFirstOrThrow();
      expect(label).toEqual({ is_correction: false, ai_label: null, human_label: choice });
      break;
    }
    await page.keyboard.press('c');
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    const review = await waitFor(() =>
      s.db.selectFrom('reviews').select('verdict').where('task_id', '=', taskId).executeTakeFirst(),
    );
    expect(review.verdict).toBe('confirm');
  }
});

it('a wrong password shows an error and keeps you on the login form', async () => {
  await signIn(page, REVIEWER.email, 'not-the-password');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toContain('Email or password is incorrect');
  expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
  expect(await page.evaluate(() => localStorage.getItem('signoff.session'))).toBeNull();
  await screenshot(page, 'login-error.png');
});

it('a session the server no longer accepts sends you back to the login form', async () => {
  await page.goto('/');
  const stale = { user: { id: 'x', email: REVIEWER.email, name: REVIEWER.name, role: 'reviewer' } };
  await page.evaluate((v) => localStorage.setItem('signoff.session', v), JSON.stringify(stale));
  // A session cookie the server does not know (with its CSRF proof, so the refusal is about the session).
  const { hostname } = new URL(s.url);
  await context.addCookies([
    {
      name: SESSION_COOKIE,
      value: 'sess_revoked',
      domain: hostname,
      path: '/trpc',
      httpOnly: true,
      sameSite: 'Strict',
    },
    { name: CSRF_COOKIE, value: csrfTokenFor('sess_revoked'), domain: hostname, path: '/', sameSite: 'Strict' },
  ]);
  await page.reload();
  await page.getByText('Your session has ended. Please sign in again.').waitFor();
  expect(await page.getByLabel('Email').isVisible()).toBe(true);
  expect(await page.evaluate(() => localStorage.getItem('signoff.session'))).toBeNull();
});

it('a data scientist lands on the items list and reads an item timeline', async () => {
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Items' }).waitFor();
  expect(await page.getByRole('button', { name: 'Claim next task' }).count()).toBe(0);
  expect(await page.getByRole('link', { name: 'Queue' }).count()).toBe(0);
  await screenshot(page, 'items.png');

  const decided = await s.db
    .selectFrom('decisions')
    .select(['item_id', 'label'])
    .where('label', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const row = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: `Timeline of item ${decided.item_id.slice(-8)}` }) });
  expect(await row.textContent()).toContain('support-triage v1');
  await page.getByRole('link', { name: `Timeline of item ${decided.item_id.slice(-8)}` }).click();
  await page.getByRole('heading', { name: 'Audit timeline' }).waitFor();
  const timeline = page.getByRole('region', { name: 'Audit timeline' });
  await timeline.getByRole('heading', { name: 'AI decision' }).waitFor();
  const text = await timeline.textContent();
  expect(text).toContain('item.submitted');
  expect(text).toContain('decision.made');
  expect(text).toContain(decided.label as string);
  await screenshot(page, 'timeline.png');

  // Signing out ends the session on the server and clears the cookies the page cannot touch itself.
  const session = (await context.cookies()).find((c) => c.name === SESSION_COOKIE)?.value as string;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await waitFor(async () => !(await context.cookies()).some((c) => c.name === SESSION_COOKIE), {
    message: 'the session cookie is cleared',
  });
  const left = await s.db.selectFrom('sessions').select('user_id').where('token_hash', '=', sha256(session)).execute();
  expect(left).toEqual([]);
});

/** Claims through a queue row's button; returns the task id from the task view's address. */
async function claimFrom(p: Page, queue: string): Promise<string> {
  await p.getByRole('button', { name: `Claim from ${queue}` }).click();
  await p.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  await p.getByRole('heading', { name: 'Your verdict' }).waitFor();
  return p.url().split('/').pop() as string;
}

/** The "Pending" total on the queue screen, once it has loaded. */
async function displayedPending(p: Page): Promise<number> {
  const value = p.getByRole('group', { name: 'Pending' }).locator('strong');
  const text = await waitFor(async () => {
    const t = (await value.textContent())?.trim();
    return t && /^\d+$/.test(t) ? t : undefined;
  });
  return Number(text);
}

function pendingInDb(): Promise<number> {
  return countPendingTasks(s.db, REVIEWER_QUEUES);
}
