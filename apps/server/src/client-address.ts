// Who is calling, for sign-in throttling and cookie flags: the socket's peer, or what a trusted
// reverse proxy says it saw.
import { isIPv6 } from 'node:net';

/**
 * The client's address. With `trustedProxies` = 0 it is the socket's peer and X-Forwarded-For is
 * ignored (anyone can send one). With N trusted proxies in front, each appends the address it saw,
 * so the client is the N-th entry from the right of the chain `X-Forwarded-For..., peer`; entries
 * further left were written by the client and prove nothing. IPv6 addresses count per /64, the
 * block one subscriber usually gets, so rotating through it does not escape the per-address limit.
 *
 * @example
 * // One proxy (10.0.0.1) in front; the client forged the first entry.
 * clientAddress('10.0.0.1', '6.6.6.6, 203.0.113.9', 1); // '203.0.113.9'
 * clientAddress('10.0.0.1', '6.6.6.6, 203.0.113.9', 0); // '10.0.0.1'
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: number,
): string | null {
  const chain = [
    ...(trustedProxies > 0 && forwardedFor ? forwardedFor.split(',').map((a) => a.trim()) : []),
    ...(peer ? [peer] : []),
  ].filter(Boolean);
  const address = chain[Math.max(0, chain.length - 1 - trustedProxies)];
  return address ? normaliseAddress(address) : null;
}

/** `::ffff:1.2.3.4` as `1.2.3.4`; an IPv6 address as its /64 (`2001:db8:1:2::/64`). */
export function normaliseAddress(address: string): string {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Whether the request came over HTTPS: its own scheme, or X-Forwarded-Proto from a trusted proxy. */
export function isHttps(url: string, forwardedProto: string | undefined, trustedProxies: number): boolean {
  if (url.startsWith('https:')) return true;
  if (trustedProxies === 0 || !forwardedProto) return false;
  // The nearest proxy's word is the last one.
  return forwardedProto.split(',').at(-1)?.trim().toLowerCase() === 'https';
}

/**
 * The facts about a Hono request on @hono/node-server that the tRPC context needs: the client's
 * address (from the socket, `c.env.incoming`) and whether it used HTTPS.
 */
export function requestFacts(
  c: { env: unknown; req: { url: string; header(name: string): string | undefined } },
  trustedProxies: number,
): { clientAddress: string | null; secure: boolean } {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return {
    clientAddress: clientAddress(incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), trustedProxies),
    secure: isHttps(c.req.url, c.req.header('x-forwarded-proto'), trustedProxies),
  };
}
