import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

/** The definition every stored hash was computed with: the output must stay exactly this. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'a',
  'b',
  'B',
  '_x',
  'état',
  '😀',
  '0',
  '1',
  '2',
  '10',
  '01',
  '-1',
  '4294967294',
  '4294967295',
  'toJSON2',
  '',
];
const LEAVES: unknown[] = [
  0,
  -0,
  1,
  -1.5,
  1e21,
  1e-7,
  0.1 + 0.2,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  undefined,
  '',
  'plain',
  'quote " and \\ backslash',
  'line\nbreak',
  'naïve ✓',
  '😀',
  new Date('2026-12-01T12:00:00.123Z'),
  () => 1,
  Symbol('s'),
];

function value(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 4 || pick < 0.4) return LEAVES[Math.floor(next() * LEAVES.length)];
  if (pick < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 6); i > 0; i--)
    o[KEYS[Math.floor(next() * KEYS.length)] as string] = value(next, depth + 1);
  return o;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out what JSON leaves out', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }], e: () => 1 })).toBe('{"a":[2,{"c":3}],"b":1}');
    expect(canonicalJson([undefined, () => 1, Number.NaN])).toBe('[null,null,null]');
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.006Z') })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it('puts array-index keys first, in numeric order, as an object built from sorted entries serialises', () => {
    expect(canonicalJson({ b: 1, '10': 2, '2': 3, '4294967294': 4, '4294967295': 5, '01': 6, '-1': 7 })).toBe(
      '{"2":3,"10":2,"4294967294":4,"-1":7,"01":6,"4294967295":5,"b":1}',
    );
  });

  it('gives exactly what the reference definition gives, on 3,000 random values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const v = value(random(seed), 0);
      expect(canonicalJson(v), `seed ${seed}`).toBe(reference(v));
    }
  });
});
