import { describe, expect, it } from 'vitest';
import { clientAddress, isHttps, normaliseAddress } from './client-address';

describe('clientAddress', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('10.0.0.1', '203.0.113.9', 0)).toBe('10.0.0.1');
    expect(clientAddress('::ffff:127.0.0.1', undefined, 0)).toBe('127.0.0.1');
    expect(clientAddress(undefined, undefined, 0)).toBeNull();
  });

  it('behind N trusted proxies, is the N-th entry from the right, ignoring what the client wrote further left', () => {
    expect(clientAddress('10.0.0.1', '203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.1', '6.6.6.6, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.1', 2)).toBe('203.0.113.9');
    // Fewer entries than proxies: the leftmost there is.
    expect(clientAddress('10.0.0.1', undefined, 1)).toBe('10.0.0.1');
  });
});

describe('normaliseAddress', () => {
  it('unwraps IPv4-mapped IPv6 and counts IPv6 per /64', () => {
    expect(normaliseAddress('::ffff:192.0.2.4')).toBe('192.0.2.4');
    expect(normaliseAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(normaliseAddress('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(normaliseAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(normaliseAddress('::1')).toBe('0:0:0:0::/64');
    expect(normaliseAddress('192.0.2.4')).toBe('192.0.2.4');
  });
});

describe('isHttps', () => {
  it('believes X-Forwarded-Proto only from a trusted proxy, the nearest one last', () => {
    expect(isHttps('https://signoff.bank.example/trpc', undefined, 0)).toBe(true);
    expect(isHttps('http://127.0.0.1:3000/trpc', 'https', 0)).toBe(false);
    expect(isHttps('http://127.0.0.1:3000/trpc', 'https', 1)).toBe(true);
    expect(isHttps('http://127.0.0.1:3000/trpc', 'https, http', 1)).toBe(false);
  });
});
