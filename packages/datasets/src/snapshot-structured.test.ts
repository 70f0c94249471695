import { describe, expect, it } from 'vitest';
import { flatColumnNames, flatFields, flatStructured, structuredPart } from './snapshot-structured';

describe('flat columns of structured labels', () => {
  it('each leaf path once, in order of states and fields; a path typed differently becomes JSON text', () => {
    const flat = flatFields([
      {
        workflow: 'a',
        state: 'x',
        fields: [
          { path: 'n', type: 'integer' },
          { path: 'k', type: 'enum' },
        ],
      },
      {
        workflow: 'b',
        state: 'y',
        fields: [
          { path: 'n', type: 'string' },
          { path: 'ok', type: 'boolean' },
        ],
      },
    ]);
    expect(flat).toEqual([
      { path: 'n', type: 'json' },
      { path: 'k', type: 'string' },
      { path: 'ok', type: 'boolean' },
    ]);
    expect(flatColumnNames(flat)).toEqual([
      'fields.n',
      'ai_fields.n',
      'fields.k',
      'ai_fields.k',
      'fields.ok',
      'ai_fields.ok',
      'changed_fields',
    ]);
    expect(flatColumnNames([])).toEqual([]);
  });

  it('values by path; numbers written as JSON in a JSON column, a value of the wrong type as null', () => {
    const row = structuredPart(['n'], '{"k":"a","n":1,"ok":"yes"}', '{"k":"b","n":2,"ok":true}');
    expect(row).toEqual({
      fields: { k: 'b', n: 2, ok: true },
      ai_fields: { k: 'a', n: 1, ok: 'yes' },
      changed_fields: ['n'],
    });
    expect(
      flatStructured(row, [
        { path: 'n', type: 'json' },
        { path: 'k', type: 'string' },
        { path: 'ok', type: 'boolean' },
      ]),
    ).toEqual({
      'fields.n': '2',
      'ai_fields.n': '1',
      'fields.k': 'b',
      'ai_fields.k': 'a',
      'fields.ok': true,
      'ai_fields.ok': null,
      changed_fields: '["n"]',
    });
  });

  it('a classification label has no structured part; a purged record is null', () => {
    expect(structuredPart(null, 'yes', 'no')).toEqual({});
    expect(structuredPart([], null, '[purged]')).toEqual({ fields: null, ai_fields: null, changed_fields: [] });
  });
});
