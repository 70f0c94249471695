// chainEvents hashes each event from its data's canonical JSON, built once; verification
// recomputes it from the stored (parsed) event with auditHash. The two must always agree.
import { describe, expect, it } from 'vitest';
import { auditHash, chainEvents, GENESIS_HASH } from './audit';

describe('chainEvents', () => {
  it('hashes like auditHash over the event as stored, and chains each event to the one before', () => {
    const head = { seq: 4, hash: 'f'.repeat(64) };
    const rows = chainEvents('item-1', 'item-1', head, [
      {
        actor: { type: 'user', id: 'u-1' },
        action: 'review.submitted',
        data: {
          b: 1,
          a: { d: undefined, c: [1, 'x', null] },
          at: new Date('2026-12-01T00:00:00.000Z'),
          '10': 1,
          '2': 2,
        },
      },
      { actor: { type: 'system', id: null }, action: 'state.completed', data: { state: 'é😀', output: null } },
      { actor: { type: 'api_key', id: 'k' }, action: 'item.submitted' },
    ]);
    expect(rows.map((r) => r.seq)).toEqual([5, 6, 7]);
    expect(rows.map((r) => r.prev_hash)).toEqual([head.hash, rows[0]?.hash, rows[1]?.hash]);
    // Undefined left out, the date as its ISO string, keys sorted.
    expect(rows[0]?.data).toBe('{"2":2,"10":1,"a":{"c":[1,"x",null]},"at":"2026-12-01T00:00:00.000Z","b":1}');
    for (const r of rows) {
      const stored = JSON.parse(r.data as string) as Record<string, unknown>;
      expect(r.hash).toBe(
        auditHash(r.prev_hash, {
          stream: r.stream,
          seq: r.seq,
          itemId: r.item_id ?? null,
          actorType: r.actor_type,
          actorId: r.actor_id ?? null,
          action: r.action,
          data: stored,
          createdAt: r.created_at as string,
        }),
      );
    }
  });

  it('starts a new stream from the genesis hash', () => {
    const [first] = chainEvents('config', null, { seq: 0, hash: GENESIS_HASH }, [
      { actor: { type: 'system' }, action: 'x' },
    ]);
    expect(first).toMatchObject({ seq: 1, prev_hash: GENESIS_HASH, item_id: null, actor_id: null, data: '{}' });
  });
});
