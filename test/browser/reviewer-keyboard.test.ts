// A reviewer works the queue with the keyboard alone (issue 11 points 4 and 6): no mouse, only
// key presses and typing. Sign in, N claims, C confirms, a label's number and a typed reason
// correct, ? shows the shortcuts, E escalates with a reason, S skips, R releases; every verdict
// opens the next task. The database says what was stored. The open task's heartbeat renews its
// lease (the page's clock is moved on, so nobody waits a minute).
import { upsertUser } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signInApi } from '../support/api-client';
import { launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { countPendingTasks } from '../support/database';
import { joinQueues } from '../support/queue-members';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const KIM = { email: 'kim@keyboard.test', name: 'Kim Keys', password: 'keyboard only, please' };

let s: TestSignoff;
let browser: Browser;
let page: Page;
let kimId: string;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ demoItems: 40 })]);
  // Kim works the support queue only: AI decisions, each with an answer to confirm or correct.
  const kim = await upsertUser(s.db, { ...KIM, role: 'reviewer' });
  kimId = kim.id;
  await joinQueues(s.db, kimId, ['support']);
  await waitFor(
    async () => {
      const items = await s.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll<number>().filterWhere('status', '=', 'running').as('running'))
        .executeTakeFirstOrThrow();
      return Number(items.running) === 0 && (await countPendingTasks(s.db, ['support'])) >= 5;
    },
    { timeoutMs: 100_000, message: 'the demo items settled with at least 5 pending tasks in support' },
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

it('a reviewer confirms, corrects, escalates, skips and releases with the keyboard alone', async () => {
  await page.clock.install();
  await page.goto('/');
  // The email field has focus on the sign-in page; Tab goes on to the password, Enter signs in.
  await page.getByLabel('Email').waitFor();
  expect(await focusedLabel(page)).toBe('Email');
  await page.keyboard.type(KIM.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(KIM.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();

  // N claims the next task; focus lands on the task's heading.
  await page.keyboard.press('n');
  const first = await openedTask(page);
  await waitFor(async () => (await page.evaluate(() => document.activeElement?.tagName)) === 'H1', {
    message: 'focus on the task heading',
  });
  // Reviewers read items only through their tasks: no link to the item screens.
  expect(await page.getByRole('link', { name: 'Timeline' }).count()).toBe(0);

  // 1. C confirms; the next task opens by itself.
  await page.keyboard.press('c');
  const second = await openedTask(page, first.id);
  await announced(page, `Confirmed “${first.aiLabel}”. Next task opened.`);
  expect(await verdictOf(first.id)).toMatchObject({ verdict: 'confirm', human_label: first.aiLabel, reason: null });

  // The open task renews its lease: a minute on the page's clock sends a heartbeat.
  const leaseBefore = await leaseOf(second.id);
  await page.clock.fastForward(61_000);
  await waitFor(async () => (await leaseOf(second.id)) > leaseBefore, { message: 'the heartbeat renews the lease' });

  // 2. A label's number, a typed reason (its letters are shortcuts elsewhere: typing must not
  // trigger them), Ctrl+Enter.
  const correction = second.labels.find((l) => l !== second.aiLabel) as string;
  await page.keyboard.press(String(second.labels.indexOf(correction) + 1));
  expect(await focusedLabel(page)).toBe('Reason for the correction');
  const reason = 'Customer is asking about a refund, not this; see the second sentence.';
  await page.keyboard.type(reason);
  expect(await page.getByLabel('Reason for the correction').inputValue()).toBe(reason);
  expect(new URL(page.url()).pathname).toBe(`/tasks/${second.id}`);
  await screenshot(page, 'keyboard-correction.png');
  await page.keyboard.press('Control+Enter');
  const third = await openedTask(page, second.id);
  expect(await verdictOf(second.id)).toMatchObject({
    verdict: 'correct',
    human_label: correction,
    is_correction: true,
    ai_label: second.aiLabel,
    reason,
  });

  // 3. ? shows every shortcut; Escape closes the list.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Task shortcuts' });
  await help.waitFor();
  for (const action of ['Confirm the AI answer', 'Escalate', 'Skip', 'Release', 'Next task'])
    expect(await help.textContent()).toContain(action);
  await screenshot(page, 'keyboard-shortcuts.png', { fullPage: false });
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });

  // E escalates, with a reason typed into the dialog and Ctrl+Enter.
  await page.keyboard.press('e');
  await page.getByRole('dialog', { name: 'Escalate this task?' }).waitFor();
  await page.keyboard.type('Legal threat in the message');
  await page.keyboard.press('Control+Enter');
  const fourth = await openedTask(page, third.id);
  const escalated = await s.db
    .selectFrom('review_tasks')
    .select(['status', 'queue', 'assignee_id'])
    .where('id', '=', third.id)
    .executeTakeFirstOrThrow();
  expect(escalated).toMatchObject({ status: 'pending', assignee_id: null });
  expect(escalated.queue).not.toBe('support');
  const escalation = await s.db
    .selectFrom('audit_events')
    .select(['actor_id', 'data'])
    .where('stream', '=', third.item_id)
    .where('action', '=', 'task.escalated')
    .executeTakeFirstOrThrow();
  expect(escalation.actor_id).toBe(kimId);
  expect(escalation.data).toMatchObject({ taskId: third.id, reason: 'Legal threat in the message' });

  // 4. S skips: the task goes back to the queue for others, and the next one opens.
  await page.keyboard.press('s');
  const fifth = await openedTask(page, fourth.id);
  expect(
    await s.db
      .selectFrom('review_tasks')
      .select(['status', 'assignee_id'])
      .where('id', '=', fourth.id)
      .executeTakeFirstOrThrow(),
  ).toEqual({ status: 'pending', assignee_id: null });
  const skips = await s.db.selectFrom('task_skips').select(['task_id', 'user_id']).execute();
  expect(skips).toEqual([{ task_id: fourth.id, user_id: kimId }]);

  // 5. R releases: back to the queue, the task pending again.
  await page.keyboard.press('r');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await announced(page, 'Task released. It is back in the queue.');
  expect(
    await s.db
      .selectFrom('review_tasks')
      .select(['status', 'assignee_id'])
      .where('id', '=', fifth.id)
      .executeTakeFirstOrThrow(),
  ).toEqual({ status: 'pending', assignee_id: null });

  // Two verdicts stored, both Kim's, one per task she answered.
  const reviews = await s.db
    .selectFrom('reviews')
    .select(['task_id', 'verdict'])
    .where('reviewer_id', '=', kimId)
    .orderBy('created_at')
    .execute();
  expect(reviews).toEqual([
    { task_id: first.id, verdict: 'confirm' },
    { task_id: second.id, verdict: 'correct' },
  ]);
});

it('queue counts drop at once on a claim, come back when it fails, and follow other reviewers live', async () => {
  await page.clock.install();
  await signIn(page, KIM.email, KIM.password);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  const inDb = await countPendingTasks(s.db, ['support']);
  expect(inDb).toBeGreaterThan(1);
  await waitFor(async () => (await displayedSupport(page)) === inDb, { message: `support shows ${inDb} pending` });
  // Stop the page's clock: no poll refreshes the counts unless the test moves time on. A few
  // milliseconds at a time (`tick`) let React and TanStack Query render what changed.
  await page.clock.pauseAt(Date.now() + 1_000);
  const tick = () => page.clock.runFor(20);
  const shows = async (n: number) => {
    await tick();
    return (await displayedSupport(page)) === n;
  };

  // The claim is held at the network, then refused: the count dropped before any answer, and
  // comes back with the refusal.
  let answer!: () => void;
  const held = new Promise<void>((r) => {
    answer = r;
  });
  await page.route('**/trpc/tasks.claimNext**', async (route) => {
    await held;
    await route.fulfill({ status: 503, contentType: 'text/plain', body: 'unavailable' });
  });
  await page.getByRole('button', { name: 'Claim from support' }).click();
  await waitFor(() => shows(inDb - 1), { message: 'the optimistic drop' });
  answer();
  await waitFor(() => shows(inDb), { message: 'the rollback' });
  await waitFor(
    async () => {
      await tick();
      return (await page.getByRole('alert').count()) > 0;
    },
    {
      message: 'the refusal shown',
    },
  );
  expect(new URL(page.url()).pathname).toBe('/');
  await page.unroute('**/trpc/tasks.claimNext**');

  // Live: another reviewer claims from support; the next poll shows it without a reload.
  const sam = await signInApi(s.url, 'reviewer2@demo.signoff', DEMO_PASSWORD);
  expect(await sam.tasks.claimNext.mutate({ queue: 'support' })).not.toBeNull();
  await page.clock.runFor(4_100);
  await waitFor(() => shows(inDb - 1), { message: 'the live count' });
});

/** The pending count of the support row on the queue screen. */
async function displayedSupport(p: Page): Promise<number | undefined> {
  const row = p.getByRole('row').filter({ has: p.getByRole('rowheader', { name: 'support', exact: true }) });
  const text = (await row.locator('td').first().textContent())?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
}

interface OpenedTask {
  id: string;
  item_id: string;
  aiLabel: string;
  labels: string[];
}

/** Waits for a task other than `previous` to open, ready to answer; returns it from the database. */
async function openedTask(p: Page, previous?: string): Promise<OpenedTask> {
  await p.waitForURL((u) => /^\/tasks\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(previous ?? '-'));
  const id = new URL(p.url()).pathname.split('/').pop() as string;
  await p.getByRole('button', { name: /^Confirm/ }).waitFor();
  await waitFor(async () => p.getByRole('button', { name: /^Confirm/ }).isEnabled(), {
    message: 'the task to be answerable',
  });
  const t = await s.db
    .selectFrom('review_tasks as t')
    .innerJoin('decisions as d', 'd.id', 't.decision_id')
    .select(['t.id', 't.item_id', 't.labels', 't.assignee_id', 'd.label'])
    .where('t.id', '=', id)
    .executeTakeFirstOrThrow();
  expect(t.assignee_id).toBe(kimId);
  return { id: t.id, item_id: t.item_id, aiLabel: t.label as string, labels: t.labels };
}

async function announced(p: Page, text: string): Promise<void> {
  await p.getByRole('status').filter({ hasText: text }).waitFor();
}

/** The label of the field that has focus, by its `<label for>`. */
function focusedLabel(p: Page): Promise<string | null> {
  return p.evaluate(() => {
    const el = document.activeElement;
    return el?.id ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? null) : null;
  });
}

function verdictOf(taskId: string) {
  return waitFor(() =>
    s.db
      .selectFrom('reviews as r')
      .innerJoin('labels as l', 'l.review_id', 'r.id')
      .select(['r.verdict', 'r.reviewer_id', 'l.human_label', 'l.ai_label', 'l.is_correction', 'l.reason'])
      .where('r.task_id', '=', taskId)
      .executeTakeFirst(),
  ).then((v) => {
    expect(v.reviewer_id).toBe(kimId);
    return v;
  });
}

async function leaseOf(taskId: string): Promise<number> {
  const t = await s.db
    .selectFrom('review_tasks')
    .select('lease_expires_at')
    .where('id', '=', taskId)
    .executeTakeFirstOrThrow();
  return (t.lease_expires_at as Date).getTime();
}
