// Regression: the console and the API sent no security headers. Now every answer carries a
// Content-Security-Policy (scripts and styles from our own origin only, no framing), X-Frame-Options,
// X-Content-Type-Options and Referrer-Policy: the console's pages, its assets, tRPC and the REST API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_API_KEY } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsoleIfStale, CONSOLE_DIR } from '../support/console-build';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

let s: TestSignoff;
beforeAll(async () => {
  buildConsoleIfStale();
  s = await startTestSignoff({ workers: false, demoItems: 0 });
});
afterAll(() => s?.close());

function securityHeadersOf(res: Response) {
  return {
    csp: res.headers.get('content-security-policy'),
    frameOptions: res.headers.get('x-frame-options'),
    contentTypeOptions: res.headers.get('x-content-type-options'),
    referrerPolicy: res.headers.get('referrer-policy'),
  };
}

const EXPECTED = { csp: CSP, frameOptions: 'DENY', contentTypeOptions: 'nosniff', referrerPolicy: 'no-referrer' };

describe('security headers', () => {
  it('on the console page, and on any path the console routes itself', async () => {
    for (const path of ['/', '/items', '/tasks/3f0c9a1e-0000-4000-8000-000000000000']) {
      const res = await fetch(new URL(path, s.url));
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(securityHeadersOf(res), path).toEqual(EXPECTED);
    }
  });

  it('on the built assets the page loads', async () => {
    const html = readFileSync(join(CONSOLE_DIR, 'dist/index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(new URL(asset, s.url));
      expect(res.status, asset).toBe(200);
      expect(securityHeadersOf(res), asset).toEqual(EXPECTED);
    }
  });

  it('on tRPC answers, successful or refused', async () => {
    const refused = await fetch(new URL('/trpc/auth.me', s.url));
    expect(refused.status).toBe(401);
    expect(securityHeadersOf(refused)).toEqual(EXPECTED);
    const login = await fetch(new URL('/trpc/auth.login', s.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'reviewer@demo.signoff', password: 'signoff-demo' }),
    });
    expect(login.status).toBe(200);
    expect(securityHeadersOf(login)).toEqual(EXPECTED);
  });

  it('on the ingestion API and health check', async () => {
    const bad = await fetch(new URL('/api/v1/items', s.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect(securityHeadersOf(bad)).toEqual(EXPECTED);
    expect(securityHeadersOf(await fetch(new URL('/healthz', s.url)))).toEqual(EXPECTED);
  });
});

it('the built console needs nothing the policy forbids: no inline script or style, no style attributes', () => {
  const html = readFileSync(join(CONSOLE_DIR, 'dist/index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const [, attributes, body] of scripts) {
    expect(attributes).toMatch(/\bsrc="\/assets\//);
    expect(body?.trim()).toBe('');
  }
  expect(html).not.toMatch(/<style\b/);
  expect(html).not.toMatch(/\sstyle="/);
  expect(html).not.toMatch(/\son[a-z]+="/);
});
