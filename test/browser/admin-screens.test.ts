// Administration in a real browser: an admin creates a lead and a reviewer, changes a role, puts
// the reviewer in a queue, creates a scoped API key (shown once, then gone from the page) and
// revokes it, each change landing in the security trail. And the other way round: a reviewer
// cannot reach the admin or compliance screens: the console shows no link and a direct address
// says "not available", and the server refuses those procedures to the reviewer's own session.
import { findApiKey } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const ADMIN = demoUser('admin');
const REVIEWER = demoUser('reviewer');
const LEAD = demoUser('lead');

let s: TestSignoff;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workers: false })]);
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

const mainNav = () => page.getByRole('navigation', { name: 'Main' });

async function navLabels(): Promise<string[]> {
  await mainNav().waitFor();
  return mainNav().getByRole('link').allTextContents();
}

/** Calls a procedure from the page, with the page's own session cookie and CSRF token. */
async function callAsPage(path: string, input: unknown, method: 'GET' | 'POST') {
  return page.evaluate(
    async ({ path, input, method }) => {
      const csrf = document.cookie
        .split(';')
        .map((c) => c.trim().split('='))
        .find(([k]) => k === 'signoff_csrf')?.[1];
      const url =
        method === 'GET' && input !== undefined
          ? `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
          : `/trpc/${path}`;
      const r = await fetch(url, {
        method,
        headers: {
          'x-signoff-csrf': decodeURIComponent(csrf ?? ''),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: JSON.stringify(input) } : {}),
      });
      const body = (await r.json()) as { error?: { data?: { code?: string } } };
      return { status: r.status, code: body.error?.data?.code ?? 'OK' };
    },
    { path, input, method },
  );
}

it('an admin creates a lead and a reviewer, puts the reviewer in a queue, creates a scoped key and revokes it', async () => {
  const start = await s.db.selectFrom('audit_heads').select('seq').where('stream', '=', 'security').executeTakeFirst();
  await signIn(page, ADMIN.email, DEMO_PASSWORD);
  expect(await navLabels()).toEqual([
    'Queue',
    'Lead',
    'Items',
    'Trust',
    'Dashboards',
    'Datasets',
    'Compliance',
    'Admin',
  ]);
  await mainNav().getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('heading', { name: 'Administration', level: 1 }).waitFor();
  const tabs = page.getByRole('navigation', { name: 'Administration' });
  expect(await tabs.getByRole('link', { name: 'Users' }).getAttribute('aria-current')).toBe('page');

  // A lead, then a reviewer created as compliance by mistake and corrected.
  const users = page.getByRole('region', { name: 'Users' });
  await users.getByText(REVIEWER.email).waitFor();
  const form = page.getByRole('region', { name: 'New user' });
  await form.getByLabel('Email').fill('quinn@bank.example');
  await form.getByLabel('Name').fill('Quinn Lead');
  await form.getByLabel('Role').selectOption({ label: 'Lead' });
  await form.getByLabel('Initial password').fill('short');
  await form.getByRole('button', { name: 'Add user' }).click();
  await form.getByText('A password needs at least 12 characters').waitFor();
  expect(await form.getByLabel('Initial password').getAttribute('aria-invalid')).toBe('true');
  await form.getByLabel('Initial password').fill('a long lead password');
  await form.getByRole('button', { name: 'Add user' }).click();
  await users.getByText('quinn@bank.example').waitFor();

  await form.getByLabel('Email').fill('robin@bank.example');
  await form.getByLabel('Name').fill('Robin Reviewer');
  await form.getByLabel('Role').selectOption({ label: 'Compliance' });
  await form.getByLabel('Initial password').fill('a long reviewer password');
  await form.getByRole('button', { name: 'Add user' }).click();
  const robinRow = users.getByRole('row', { name: /robin@bank\.example/ });
  await robinRow.getByRole('cell', { name: 'Compliance' }).waitFor();
  await users.getByRole('button', { name: 'Change role of robin@bank.example' }).click();
  const roleDialog = page.getByRole('dialog', { name: 'Change the role of Robin Reviewer' });
  await roleDialog.getByLabel('Role').selectOption({ label: 'Reviewer' });
  await roleDialog.getByRole('button', { name: 'Save role' }).click();
  await robinRow.getByRole('cell', { name: 'Reviewer', exact: true }).waitFor();
  expect(
    await users
      .getByRole('row', { name: /quinn@bank\.example/ })
      .getByRole('cell', { name: 'Lead', exact: true })
      .count(),
  ).toBe(1);
  await screenshot(page, 'admin-users.png');

  // Robin joins the refunds queue.
  await tabs.getByRole('link', { name: 'Queues' }).click();
  const refunds = page.getByRole('region', { name: 'refunds' });
  await refunds.getByLabel('Add to refunds').selectOption({ label: 'Robin Reviewer (robin@bank.example, Reviewer)' });
  await refunds.getByRole('button', { name: 'Add', exact: true }).click();
  await refunds.getByRole('list', { name: 'Members of refunds' }).getByText('robin@bank.example').waitFor();
  const robin = await s.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', 'robin@bank.example')
    .executeTakeFirstOrThrow();
  const memberships = await s.db.selectFrom('queue_members').select('queue').where('user_id', '=', robin.id).execute();
  expect(memberships).toEqual([{ queue: 'refunds' }]);
  await screenshot(page, 'admin-queues.png');

  // A key that may only submit items: shown once, copied, then gone from the page.
  await tabs.getByRole('link', { name: 'API keys' }).click();
  const keyForm = page.getByRole('region', { name: 'New API key' });
  await keyForm.getByLabel('Name').fill('helpdesk webhook');
  await keyForm.getByLabel('Send events').uncheck();
  await keyForm.getByRole('button', { name: 'Create key' }).click();
  const once = page.getByRole('region', { name: 'Key “helpdesk webhook” created' });
  await once.getByText('it is shown only this once').waitFor();
  // Focus moves to the new key's panel, so a keyboard or screen-reader user lands on it.
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Key “helpdesk webhook” created');
  const key = await once.getByLabel('API key').inputValue();
  expect(key).toMatch(/^sk_signoff_[A-Za-z0-9_-]{32}$/);
  expect(await findApiKey(s.db, key)).toMatchObject({ name: 'helpdesk webhook', scopes: ['items:submit'] });
  await screenshot(page, 'admin-key-shown-once.png');
  await once.getByRole('button', { name: 'I have stored it' }).click();
  await page.getByRole('region', { name: 'New API key' }).waitFor();
  expect(await page.content()).not.toContain(key);
  const keys = page.getByRole('region', { name: 'API keys' });
  const row = keys.getByRole('row', { name: /helpdesk webhook/ });
  expect(await row.getByRole('cell', { name: 'Submit items', exact: true }).count()).toBe(1);

  await keys.getByRole('button', { name: 'Revoke helpdesk webhook' }).click();
  const revoke = page.getByRole('dialog', { name: 'Revoke “helpdesk webhook”?' });
  await revoke.getByText('This cannot be undone').waitFor();
  await screenshot(page, 'admin-key-revoke.png', { fullPage: false });
  await revoke.getByRole('button', { name: 'Revoke key' }).click();
  await row.getByText('Revoked').waitFor();
  expect(await findApiKey(s.db, key)).toBeUndefined();
  await screenshot(page, 'admin-keys.png');

  const admin = await s.db.selectFrom('users').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
  const trail = await s.db
    .selectFrom('audit_events')
    .select(['action', 'actor_id'])
    .where('stream', '=', 'security')
    .where('seq', '>', start?.seq ?? 0)
    .where('action', 'not like', 'login.%')
    .orderBy('seq')
    .execute();
  expect(trail).toEqual(
    ['user.created', 'user.created', 'user.updated', 'queue_member.added', 'api_key.created', 'api_key.revoked'].map(
      (action) => ({ action, actor_id: admin.id }),
    ),
  );
});

it('a reviewer cannot reach admin or compliance screens: no links, "not available", and the server refuses', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  expect(await navLabels()).toEqual(['Queue', 'Dashboards']);
  for (const path of ['/admin/users', '/admin/queues', '/admin/keys', '/trust', '/items', '/datasets']) {
    await page.goto(path);
    await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Administration' }).count()).toBe(0);
  }
  await page.goto('/admin/keys');
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  await screenshot(page, 'reviewer-admin-not-available.png');

  const reviewerId = (
    await s.db.selectFrom('users').select('id').where('email', '=', REVIEWER.email).executeTakeFirstOrThrow()
  ).id;
  const refused = { status: 403, code: 'FORBIDDEN' };
  // Admin procedures.
  expect(await callAsPage('users.list', undefined, 'GET')).toEqual(refused);
  expect(await callAsPage('queues.list', undefined, 'GET')).toEqual(refused);
  expect(await callAsPage('apiKeys.list', undefined, 'GET')).toEqual(refused);
  expect(await callAsPage('apiKeys.create', { name: 'mine', scopes: ['items:submit'] }, 'POST')).toEqual(refused);
  expect(await callAsPage('queues.addMember', { queue: 'escalations', userId: reviewerId }, 'POST')).toEqual(refused);
  expect(await callAsPage('users.update', { userId: reviewerId, role: 'admin' }, 'POST')).toEqual(refused);
  // Compliance procedures: audit trails, what auto-accept stands on, items.
  expect(await callAsPage('audit.verifyStream', { stream: 'security' }, 'GET')).toEqual(refused);
  expect(await callAsPage('trust.states', undefined, 'GET')).toEqual(refused);
  expect(await callAsPage('items.list', {}, 'GET')).toEqual(refused);
  // The session itself is good: the same page may read its own queues.
  expect(await callAsPage('auth.me', undefined, 'GET')).toEqual({ status: 200, code: 'OK' });
  const role = await s.db.selectFrom('users').select('role').where('id', '=', reviewerId).executeTakeFirstOrThrow();
  expect(role.role).toBe('reviewer');
});

it('a lead sees the lead entry but no admin screens', async () => {
  await signIn(page, LEAD.email, DEMO_PASSWORD);
  expect(await navLabels()).toEqual(['Queue', 'Lead', 'Items', 'Dashboards']);
  await page.goto('/admin/users');
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  expect(await callAsPage('users.list', undefined, 'GET')).toEqual({ status: 403, code: 'FORBIDDEN' });
});
