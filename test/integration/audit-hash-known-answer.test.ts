// The audit hash, against its documented formula (docs/architecture.md, "Audit trail"): SHA-256
// over the previous hash, a newline and the event's canonical JSON (keys sorted at every level),
// as lowercase hex. The canonical JSON is written out here by hand, and the expected hash computed
// from it here, so the test does not lean on the code it checks. No database.
import { createHash } from 'node:crypto';
import { auditHash, GENESIS_HASH, payloadHash, textHash } from '@signoff/governance';
import { describe, expect, it } from 'vitest';

const event = {
  stream: 'config',
  seq: 7,
  itemId: null,
  actorType: 'user',
  actorId: 'u-1',
  action: 'review.submitted',
  data: { verdict: 'correct', label: 'refund', reviewer: 'Zoë', nested: { z: 1, a: [3, { y: true, b: null }] } },
  createdAt: '2025-03-01T12:00:00.123Z',
};
const CANONICAL =
  '{"action":"review.submitted","actorId":"u-1","actorType":"user","createdAt":"2025-03-01T12:00:00.123Z",' +
  '"data":{"label":"refund","nested":{"a":[3,{"b":null,"y":true}],"z":1},"reviewer":"Zoë","verdict":"correct"},' +
  '"itemId":null,"seq":7,"stream":"config"}';

const sha256Hex = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
const PREV = 'c0ffee'.padEnd(64, '0');

describe('auditHash', () => {
  it('is SHA-256 of the previous hash, a newline and the canonical JSON', () => {
    expect(auditHash(PREV, event)).toBe(sha256Hex(`${PREV}\n${CANONICAL}`));
    expect(auditHash(GENESIS_HASH, event)).toBe(sha256Hex(`${'0'.repeat(64)}\n${CANONICAL}`));
  });

  it('changes with the previous hash, so an event cannot be moved to another place in a chain', () => {
    expect(auditHash(PREV, event)).not.toBe(auditHash(GENESIS_HASH, event));
  });

  it('does not depend on the order the keys were written in', () => {
    const reordered = {
      ...event,
      data: { nested: { a: [3, { b: null, y: true }], z: 1 }, reviewer: 'Zoë', label: 'refund', verdict: 'correct' },
    };
    expect(auditHash(PREV, reordered)).toBe(sha256Hex(`${PREV}\n${CANONICAL}`));
  });
});

// Since 0029 events carry digests of payloads instead of the payloads (docs/retention.md): the same
// canonical JSON, hashed alone. Expected values from `printf '<json>' | sha256sum`.
describe('payloadHash', () => {
  it('is SHA-256 of the payload canonical JSON, keys sorted at every level', () => {
    const payload = { nested: { z: 1, a: [3, { y: true, b: null }] }, by: 'Zoë <zoe@example.com>', amount: 40 };
    expect(payloadHash(payload)).toBe('b5449a08f513e32cf3d880169a7b1e7d4c6b17c0aaa2d74f33070e99dbb7ed9c');
  });

  it('reads a missing payload as null, and a text as its JSON string', () => {
    expect(payloadHash(undefined)).toBe('74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b');
    expect(payloadHash(null)).toBe('74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b');
    expect(textHash('looks fine')).toBe('e1f30c40f804a471f1227e88eb498c63ab748cce4b4c0a298f126c59cfffa87a');
    expect(textHash(null)).toBeNull();
  });
});
