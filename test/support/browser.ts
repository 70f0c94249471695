// The browser suites' shared parts: Debian's Chromium, a fresh page per test that records page
// errors and Content-Security-Policy violations, signing in through the login form, screenshots.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_USERS } from '@signoff/server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterEach, beforeEach, expect } from 'vitest';
import { buildConsoleIfStale } from './console-build';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

/** Builds the console if its sources changed and starts headless Chromium. */
export function launchBrowser(): Promise<Browser> {
  buildConsoleIfStale();
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** What the Content-Security-Policy blocked, as Chromium reports it on the console. */
  cspViolations: string[];
}

/**
 * A fresh context (its own cookies and localStorage, so no session leaks between tests) and page
 * on the console at `baseURL`.
 */
export async function openConsolePage(browser: Browser, baseURL: string): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, baseURL });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return { context, page, pageErrors, cspViolations };
}

/**
 * Registers hooks that give each test of the file a fresh console page (handed to `onOpen`) and,
 * after the test, close it and fail the test on any page error or CSP violation: the console must
 * need nothing its Content-Security-Policy forbids.
 *
 * @example
 * openConsolePageEachTest(() => ({ browser, url: s.url }), (c) => ({ context, page } = c));
 */
export function openConsolePageEachTest(
  target: () => { browser: Browser; url: string },
  onOpen: (opened: ConsolePage) => void,
): void {
  let opened: ConsolePage | undefined;
  beforeEach(async () => {
    const { browser, url } = target();
    opened = await openConsolePage(browser, url);
    onOpen(opened);
  });
  afterEach(async () => {
    if (!opened) return;
    const { context, pageErrors, cspViolations } = opened;
    opened = undefined;
    await context.close();
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
}

/**
 * A full-page screenshot from the top, so the sticky header sits where a person sees it; only the
 * viewport with `fullPage: false` (a modal dialog's backdrop covers the viewport, not the page).
 */
export async function screenshot(p: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await p.evaluate(() => window.scrollTo(0, 0));
  await p.screenshot({ path: join(SCREENSHOTS, name), fullPage: options.fullPage ?? true });
}

export function demoUser(role: (typeof DEMO_USERS)[number]['role']) {
  const user = DEMO_USERS.find((u) => u.role === role);
  if (!user) throw new Error(`The demo users have no ${role}`);
  return user;
}

export async function signIn(p: Page, email: string, password: string): Promise<void> {
  await p.goto('/');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}
