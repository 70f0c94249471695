// Canonical JSON: what the content hashes of workflow versions and audit events are computed over.
// Its output must never change, or every stored hash would stop verifying.

/** An array index as ECMAScript orders own property keys: "0", "1", ... up to 2^32 - 2. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;
const isArrayIndex = (k: string) => ARRAY_INDEX.test(k) && Number(k) < 4_294_967_295;

/**
 * JSON with object keys sorted, so equal values serialise to equal strings: `JSON.stringify`'s
 * rules (`toJSON`, undefined and functions left out of objects and null in arrays, non-finite
 * numbers as null), keys in the order `JSON.stringify` gives an object built from its sorted
 * entries (array-index keys first, in numeric order, then the others in code-unit order).
 * Written out by hand rather than with a replacer, which rebuilt every object on the way.
 *
 * @example
 * canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] }); // '{"a":[2,{"c":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '') as string;
}

function write(input: unknown, key: string): string | undefined {
  let v = input;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    v = (v as { toJSON(key: string): unknown }).toJSON(key);
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += `${i > 0 ? ',' : ''}${write(v[i], String(i)) ?? 'null'}`;
        return `${out}]`;
      }
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      const indexes = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
      const names = (indexes.length > 0 ? keys.filter((k) => !isArrayIndex(k)) : keys).sort();
      let out = '{';
      let first = true;
      for (const k of indexes.length > 0 ? [...indexes, ...names] : names) {
        const s = write(record[k], k);
        if (s === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(k)}:${s}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}
