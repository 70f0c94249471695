import { describe, expect, it } from 'vitest';
import { jsonValueSpans } from './json-value-spans';

describe('jsonValueSpans', () => {
  it('finds nested values by dotted path, arrays as a whole', () => {
    const text = '{"vendor": {"name": "A\\"B", "taxId":"12-3"}, "total": -1.5e2, "ok": true, "tags": ["x", {"y": 1}]}';
    const spans = jsonValueSpans(text);
    const at = (p: string) => {
      const s = spans?.get(p);
      return s ? [text.slice(s.keyStart, s.keyEnd), text.slice(s.start, s.end), s.kind] : undefined;
    };
    expect(at('vendor.name')).toEqual(['"name"', '"A\\"B"', 'string']);
    expect(at('vendor.taxId')).toEqual(['"taxId"', '"12-3"', 'string']);
    expect(at('total')).toEqual(['"total"', '-1.5e2', 'number']);
    expect(at('ok')).toEqual(['"ok"', 'true', 'literal']);
    expect(at('tags')).toEqual(['"tags"', '["x", {"y": 1}]', 'array']);
    expect(at('vendor')?.[2]).toBe('object');
    // inside arrays nothing is listed
    expect(spans?.has('tags.y')).toBe(false);
  });

  it('starts where the object starts, and refuses what is not one JSON object', () => {
    const text = 'Here: {"a": null}';
    expect(jsonValueSpans(text, 6)?.get('a')).toMatchObject({ start: 12, end: 16, kind: 'literal' });
    expect(jsonValueSpans('{"a": }')).toBeUndefined();
    expect(jsonValueSpans('{"a": "open')).toBeUndefined();
    expect(jsonValueSpans('[1]')).toBeUndefined();
  });
});
