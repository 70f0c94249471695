import type { FieldSpec } from '@signoff/core/structured';
import { describe, expect, it } from 'vitest';
import {
  emptiedValue,
  fieldTitle,
  initialRecord,
  isLowConfidence,
  movedRow,
  problemsOf,
  recordProblems,
} from './structured-value';

const FIELDS: FieldSpec[] = [
  {
    path: 'vendor',
    name: 'vendor',
    type: 'object',
    optional: false,
    fields: [
      { path: 'vendor.name', name: 'name', type: 'string', optional: false },
      { path: 'vendor.taxId', name: 'taxId', type: 'string', optional: false, pattern: '^\\d{2}-\\d{7}$' },
    ],
  },
  { path: 'total', name: 'total', type: 'number', optional: false, minimum: 0 },
  { path: 'count', name: 'count', type: 'integer', optional: true, maximum: 10 },
  { path: 'currency', name: 'currency', type: 'enum', optional: false, options: ['USD', 'EUR'] },
  { path: 'paid', name: 'paid', type: 'boolean', optional: false },
  { path: 'memo', name: 'memo', type: 'string', optional: true, maxLength: 5 },
  {
    path: 'lines',
    name: 'lines',
    type: 'array',
    optional: false,
    minLength: 1,
    items: {
      path: '',
      name: '',
      type: 'object',
      optional: false,
      fields: [{ path: 'amount', name: 'amount', type: 'number', optional: false }],
    },
  },
  {
    path: 'tags',
    name: 'tags',
    type: 'array',
    optional: true,
    items: { path: '', name: '', type: 'string', optional: false },
  },
];

const GOOD = {
  vendor: { name: 'Acme', taxId: '12-3456789' },
  total: 10,
  currency: 'USD',
  paid: false,
  lines: [{ amount: 10 }],
};

describe('initialRecord', () => {
  it('starts from a copy of the AI record, which editing never changes', () => {
    const ai = { ...GOOD, vendor: { ...GOOD.vendor } };
    const r = initialRecord(FIELDS, ai);
    expect(r).toEqual(ai);
    (r.vendor as Record<string, unknown>).name = 'Other';
    expect(ai.vendor.name).toBe('Acme');
  });

  it('without an AI record, leaves numbers and enums for the reviewer to choose', () => {
    expect(initialRecord(FIELDS, null)).toEqual({ vendor: { name: '', taxId: '' }, paid: false, lines: [] });
  });
});

describe('recordProblems', () => {
  it('finds nothing in a valid record', () => {
    expect(recordProblems(FIELDS, GOOD)).toEqual({});
  });

  it('names each bad field as the server does (value.<path>), with what is wrong', () => {
    const bad = {
      vendor: { name: '', taxId: '12-34' },
      total: -1,
      count: 2.5,
      currency: 'GBP',
      paid: 'yes',
      memo: 'too long',
      lines: [{ amount: 'ten' }],
      tags: ['a', 3],
    };
    expect(recordProblems(FIELDS, bad)).toEqual({
      'value.vendor.taxId': 'Tax id does not have the expected format',
      'value.total': 'Total must be at least 0',
      'value.count': 'Count must be a whole number',
      'value.currency': 'Choose currency from the list',
      'value.paid': 'Paid must be yes or no',
      'value.memo': 'Memo may have at most 5 characters',
      'value.lines.0.amount': 'Amount must be a number',
      'value.tags.1': 'Value must be text',
    });
  });

  it('asks for required fields left empty, not for optional ones', () => {
    expect(recordProblems(FIELDS, { vendor: { name: 'A', taxId: '12-3456789' }, paid: true, lines: [] })).toEqual({
      'value.total': 'Enter total',
      'value.currency': 'Choose currency',
      'value.lines': 'Lines needs at least 1 row',
    });
  });

  it("checks only what the reviewer changed: the AI's own values may show masked", () => {
    const ai = { ...GOOD, vendor: { name: 'Acme', taxId: '[tax-id]' } };
    expect(recordProblems(FIELDS, { ...ai, total: -5 }, ai)).toEqual({ 'value.total': 'Total must be at least 0' });
    expect(recordProblems(FIELDS, { ...ai, total: -5 })).toEqual({
      'value.total': 'Total must be at least 0',
      'value.vendor.taxId': 'Tax id does not have the expected format',
    });
  });

  it('leaves a pattern the browser cannot compile to the server', () => {
    const f: FieldSpec[] = [{ path: 'x', name: 'x', type: 'string', optional: false, pattern: '(?<' }];
    expect(recordProblems(f, { x: 'anything' })).toEqual({});
  });
});

describe('problemsOf', () => {
  it("gives a field its own problems and its rows', and no other field's", () => {
    const problems = {
      'value.lines': 'Lines needs at least 2 rows',
      'value.lines.1.amount': 'Amount must be a number',
      'value.linesExtra': 'not this one',
      reason: 'nor this',
    };
    expect(problemsOf(problems, 'lines')).toEqual([
      'Lines needs at least 2 rows',
      'Row 2 amount: Amount must be a number',
    ]);
  });
});

describe('isLowConfidence', () => {
  it("is below the field's own threshold when it has one, else below 80%", () => {
    expect(isLowConfidence(0.93, 0.95)).toBe(true);
    expect(isLowConfidence(0.93, undefined)).toBe(false);
    expect(isLowConfidence(0.79, undefined)).toBe(true);
    expect(isLowConfidence(0.8, undefined)).toBe(false);
    expect(isLowConfidence(0.5, 0.4)).toBe(false);
    expect(isLowConfidence(undefined, 0.9)).toBe(false);
  });
});

describe('emptiedValue', () => {
  it('is null where the AI wrote null (a nullable field), absent otherwise', () => {
    expect(emptiedValue({ a: null, b: 'x' }, 'a')).toBeNull();
    expect(emptiedValue({ a: null, b: 'x' }, 'b')).toBeUndefined();
    expect(emptiedValue(null, 'a')).toBeUndefined();
  });
});

describe('movedRow', () => {
  it('moves a row up or down and leaves the list alone at its ends', () => {
    expect(movedRow(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(movedRow(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(movedRow(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(movedRow(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });
});

describe('fieldTitle', () => {
  it('reads camelCase and snake_case names as words', () => {
    expect(fieldTitle('taxId')).toBe('Tax id');
    expect(fieldTitle('payment_terms')).toBe('Payment terms');
    expect(fieldTitle('W9Form')).toBe('W9 form');
  });
});
