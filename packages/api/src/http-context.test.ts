import { describe, expect, it } from 'vitest';
import { csrfTokenFor, parseCookies, sessionCookieJar } from './http-context';

describe('parseCookies', () => {
  it('reads name=value pairs, keeps the first of a repeated name and skips what is not ours to read', () => {
    const c = parseCookies('signoff_session=sess_a; theme=dark; signoff_session=sess_b; broken=%E0%A4%A; flag');
    expect([...c.entries()]).toEqual([
      ['signoff_session', 'sess_a'],
      ['theme', 'dark'],
    ]);
    expect(parseCookies(null).size).toBe(0);
  });
});

describe('csrfTokenFor', () => {
  it('differs per session and is not the token or its stored hash', () => {
    const a = csrfTokenFor('sess_a');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfTokenFor('sess_b')).not.toBe(a);
    expect(a).not.toContain('sess_a');
  });
});

describe('sessionCookieJar', () => {
  it('sets the session cookie HttpOnly for /trpc and the CSRF cookie readable for /, Secure only over HTTPS', () => {
    const plain = new Headers();
    sessionCookieJar(plain, false).issue('sess_x', 60);
    expect(plain.getSetCookie()).toEqual([
      'signoff_session=sess_x; Path=/trpc; HttpOnly; SameSite=Strict; Max-Age=60',
      `signoff_csrf=${csrfTokenFor('sess_x')}; Path=/; SameSite=Strict; Max-Age=60`,
    ]);
    const tls = new Headers();
    sessionCookieJar(tls, true).clear();
    expect(tls.getSetCookie()).toEqual([
      'signoff_session=; Path=/trpc; HttpOnly; SameSite=Strict; Secure; Max-Age=0',
      'signoff_csrf=; Path=/; SameSite=Strict; Secure; Max-Age=0',
    ]);
  });
});
