// What PostgreSQL cannot store, found before it is asked to. No I/O and no Node built-ins: the
// console bundles this file through `./schemas`.

/**
 * Deepest nesting of objects and arrays accepted at the boundary. Real inputs stay far below it;
 * much deeper ones overflow the stack of recursive code further on (`JSON.stringify` when the
 * value is stored, a workflow's zod schema, canonical JSON for the audit hash).
 */
export const MAX_JSON_DEPTH = 64;

export type UnsafeTextKind = 'nul' | 'lone_surrogate' | 'too_deep';

export interface UnsafeText {
  kind: UnsafeTextKind;
  /** Keys and indexes from the root to the offending value (for a property name, to its object). */
  path: (string | number)[];
  message: string;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one. Written
// without the `u` flag, which would make the pattern see code points instead of code units.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL would refuse this string (`text` and `jsonb` hold neither), if it would. */
function textProblem(s: string): { kind: 'nul' | 'lone_surrogate'; what: string } | undefined {
  if (s.includes('\u0000')) return { kind: 'nul', what: 'a NUL character (\\u0000)' };
  if (LONE_SURROGATE.test(s)) return { kind: 'lone_surrogate', what: 'an unpaired UTF-16 surrogate (e.g. \\ud800)' };
  return undefined;
}

interface Frame {
  value: unknown;
  /** Key or index under the parent; undefined for the root. */
  key: string | number | undefined;
  parent: Frame | undefined;
  /** Containers from the root to this value, this one included when it is a container. */
  depth: number;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) path.push(f.key);
  return path.reverse();
}

/**
 * The first string (value or property name) that PostgreSQL cannot store — one holding a NUL
 * character or an unpaired surrogate — or the first object or array nested deeper than
 * `maxDepth` (the root container is level 1); undefined when the value is safe. Values are visited
 * in document order, an object's property names before its values. Iterative, so input of any
 * depth is examined without growing the call stack.
 *
 * @example
 * findUnsafeText({ customer: { name: 'A\u0000' } });
 * // { kind: 'nul', path: ['customer', 'name'], message: 'contains a NUL character (\\u0000), …' }
 */
export function findUnsafeText(value: unknown, options: { maxDepth?: number } = {}): UnsafeText | undefined {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const stack: Frame[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const v = frame.value;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) return { kind: p.kind, path: pathOf(frame), message: `contains ${p.what}, which cannot be stored` };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth)
      return { kind: 'too_deep', path: pathOf(frame), message: `is nested more than ${maxDepth} levels deep` };
    // Children go on the stack last-first, so they come off it in document order.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: frame, depth });
      continue;
    }
    const keys = Object.keys(v);
    for (const key of keys) {
      const p = textProblem(key);
      if (p)
        return {
          kind: p.kind,
          path: pathOf(frame),
          message: `has a property name with ${p.what}, which cannot be stored`,
        };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (v as Record<string, unknown>)[key], key, parent: frame, depth });
    }
  }
  return undefined;
}
