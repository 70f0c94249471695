import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { itemSubmission, storable } from './schemas';
import { findUnsafeText, MAX_JSON_DEPTH } from './text-safety';

/** `{a: {a: … {a: 1}}}` with `levels` objects, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let current = root;
  for (let i = 1; i < levels; i++) {
    const next: Record<string, unknown> = {};
    current.a = next;
    current = next;
  }
  current.a = 1;
  return root;
}

describe('findUnsafeText', () => {
  it('accepts what PostgreSQL stores, paired surrogates (emoji) included', () => {
    expect(
      findUnsafeText({ name: 'Ana 😀', tags: ['ok', '\u00e9', '\uD83D\uDE00'], n: 1, b: true, z: null }),
    ).toBeUndefined();
    expect(findUnsafeText('plain')).toBeUndefined();
    expect(findUnsafeText(undefined)).toBeUndefined();
  });

  it('names the path of a NUL character in a nested value', () => {
    expect(findUnsafeText({ input: { customer: { name: 'Jo\u0000rdan' } } })).toEqual({
      kind: 'nul',
      path: ['input', 'customer', 'name'],
      message: 'contains a NUL character (\\u0000), which cannot be stored',
    });
  });

  it('finds a lone high surrogate, a lone low one, and a reversed pair', () => {
    expect(findUnsafeText({ a: 'x\uD800' })?.path).toEqual(['a']);
    expect(findUnsafeText({ a: 'x\uD800y' })?.kind).toBe('lone_surrogate');
    expect(findUnsafeText({ a: '\uDC00x' })?.kind).toBe('lone_surrogate');
    expect(findUnsafeText({ a: '\uDE00\uD83D' })?.kind).toBe('lone_surrogate');
  });

  it('gives array indexes in the path', () => {
    expect(findUnsafeText({ items: ['ok', { tags: ['fine', 'bad\u0000'] }] })?.path).toEqual(['items', 1, 'tags', 1]);
  });

  it('reports a bad property name at its object', () => {
    expect(findUnsafeText({ meta: { 'k\u0000': 1 } })).toEqual({
      kind: 'nul',
      path: ['meta'],
      message: 'has a property name with a NUL character (\\u0000), which cannot be stored',
    });
    expect(findUnsafeText({ '\uD800': 1 })?.path).toEqual([]);
  });

  it('returns the first problem in document order', () => {
    expect(findUnsafeText({ first: ['a', 'b\u0000'], second: 'c\uD800' })?.path).toEqual(['first', 1]);
    expect(findUnsafeText({ first: 'ok', second: 'c\uD800', third: 'd\u0000' })?.path).toEqual(['second']);
  });

  it('allows exactly MAX_JSON_DEPTH levels and refuses one more, at the container that goes over', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(findUnsafeText(nested(64))).toBeUndefined();
    const problem = findUnsafeText(nested(65));
    expect(problem?.kind).toBe('too_deep');
    expect(problem?.message).toBe('is nested more than 64 levels deep');
    expect(problem?.path).toEqual(Array.from({ length: 64 }, () => 'a'));
    expect(findUnsafeText([[['x']]], { maxDepth: 2 })).toMatchObject({ kind: 'too_deep', path: [0, 0] });
  });

  it('survives 100,000 levels of objects and of arrays without recursion', () => {
    expect(findUnsafeText(nested(100_000))?.kind).toBe('too_deep');
    const arrays = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(findUnsafeText(arrays)?.kind).toBe('too_deep');
    expect(findUnsafeText(nested(100_000), { maxDepth: 200_000 })).toBeUndefined();
  });
});

describe('storable', () => {
  it('refuses before the inner schema runs, with the one issue at the path', () => {
    let innerRan = false;
    const schema = storable(
      z.object({ name: z.number() }).refine(() => {
        innerRan = true;
        return true;
      }),
    );
    const r = schema.safeParse({ name: 'x\u0000' });
    expect(r.success).toBe(false);
    expect(innerRan).toBe(false);
    expect(r.error?.issues.map((i) => ({ path: i.path, message: i.message }))).toEqual([
      { path: ['name'], message: 'contains a NUL character (\\u0000), which cannot be stored' },
    ]);
  });

  it('leaves good values to the inner schema', () => {
    expect(itemSubmission.parse({ workflow: 'w', input: { a: 1 }, idempotencyKey: 'k-1' })).toEqual({
      workflow: 'w',
      input: { a: 1 },
      idempotencyKey: 'k-1',
    });
    expect(itemSubmission.safeParse({ workflow: '', input: {} }).error?.issues[0]?.path).toEqual(['workflow']);
  });

  it('names the idempotency key of a submission', () => {
    expect(
      itemSubmission.safeParse({ workflow: 'w', input: {}, idempotencyKey: 'k\uD800' }).error?.issues[0]?.path,
    ).toEqual(['idempotencyKey']);
  });
});
