// The fields of a structured output, its field-level diff and routing on fields (issue 13). No
// database. Expected values written by hand from the schema and the requirement.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { reviewersRequired, routeDecision } from './routing';
import {
  describeFields,
  fieldChanges,
  leafFields,
  parseStructuredLabel,
  structuredLabel,
  valueAt,
  withValueAt,
} from './structured';
import { defineWorkflow, outputFields, type RoutingPolicy, validateWorkflow, type WorkflowSpec } from './workflow';

const schema = z.object({
  name: z.string().min(1).max(80).describe('Legal name'),
  taxId: z.string().regex(/^\d{2}-\d{7}$/),
  spend: z.number().nonnegative().optional(),
  count: z.number().int(),
  kind: z.enum(['llc', 'corp']),
  signed: z.boolean(),
  reply: z.string().meta({ draft: true }),
  tags: z.array(z.string()).max(5),
  address: z.object({ city: z.string(), zip: z.string().nullable() }),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
});

describe('the fields of an output schema', () => {
  const fields = outputFields(schema);

  it('gives each field its editor type, bounds, options and whether it may be left empty', () => {
    expect(fields.map((f) => [f.path, f.type, f.optional])).toEqual([
      ['name', 'string', false],
      ['taxId', 'string', false],
      ['spend', 'number', true],
      ['count', 'integer', false],
      ['kind', 'enum', false],
      ['signed', 'boolean', false],
      ['reply', 'text', false],
      ['tags', 'array', false],
      ['address', 'object', false],
      ['lines', 'array', false],
    ]);
    const by = (p: string) => fields.find((f) => f.path === p);
    expect(by('name')).toMatchObject({ description: 'Legal name', minLength: 1, maxLength: 80 });
    expect(by('taxId')?.pattern).toBe('^\\d{2}-\\d{7}$');
    expect(by('spend')?.minimum).toBe(0);
    // zod's safe-integer range is not a bound anyone set.
    expect(by('count')?.minimum).toBeUndefined();
    expect(by('kind')?.options).toEqual(['llc', 'corp']);
    expect(by('tags')).toMatchObject({ maxLength: 5, items: { type: 'string', path: '' } });
    expect(by('address')?.fields?.map((f) => [f.path, f.optional])).toEqual([
      ['address.city', false],
      ['address.zip', true],
    ]);
    expect(by('lines')?.items?.fields?.map((f) => [f.path, f.type])).toEqual([
      ['sku', 'string'],
      ['qty', 'integer'],
    ]);
  });

  it('has leaf fields: nested objects walked into, arrays taken whole', () => {
    expect(leafFields(fields).map((f) => f.path)).toEqual([
      'name',
      'taxId',
      'spend',
      'count',
      'kind',
      'signed',
      'reply',
      'tags',
      'address.city',
      'address.zip',
      'lines',
    ]);
  });

  it('refuses what a form cannot edit, naming the field', () => {
    const problems = (s: z.ZodType) => describeFields(z.toJSONSchema(s)).problems;
    expect(problems(z.object({ a: z.union([z.string(), z.number()]) }))).toEqual([
      'output field "a": unions are not supported (use an enum, or .nullable())',
    ]);
    expect(problems(z.object({ m: z.record(z.string(), z.string()) }))[0]).toMatch(/output field "m"/);
    expect(problems(z.object({ g: z.array(z.array(z.string())) }))).toEqual([
      'output field "g": arrays of arrays are not supported',
    ]);
    expect(problems(z.string())).toEqual(['the output schema must be a z.object({...}) with at least one field']);
    expect(problems(z.object({ 'a.b': z.string() }))[0]).toMatch(/output field "a\.b": a field name/);
  });
});

describe('the field-level diff', () => {
  const fields = outputFields(schema);
  const ai = {
    name: 'Acme',
    taxId: '12-3456789',
    count: 2,
    kind: 'llc',
    signed: true,
    reply: 'Dear Sir',
    tags: ['a', 'b'],
    address: { city: 'Austin', zip: null },
    lines: [{ sku: 'X', qty: 1 }],
  };

  it('lists the leaf fields whose value changed, with both values, in field order', () => {
    const human = {
      ...ai,
      taxId: '12-3456780',
      address: { city: 'Austin', zip: '73301' },
      lines: [{ qty: 2, sku: 'X' }],
    };
    expect(fieldChanges(fields, ai, human)).toEqual([
      { field: 'taxId', ai: '12-3456789', human: '12-3456780' },
      { field: 'address.zip', ai: null, human: '73301' },
      { field: 'lines', ai: [{ sku: 'X', qty: 1 }], human: [{ qty: 2, sku: 'X' }] },
    ]);
  });

  it('sees no change in key order, nor between absent and null', () => {
    const human = { ...Object.fromEntries(Object.entries(ai).reverse()), spend: undefined };
    expect(fieldChanges(fields, ai, human)).toEqual([]);
    expect(fieldChanges(fields, ai, { ...ai, spend: 0 })).toEqual([{ field: 'spend', ai: null, human: 0 }]);
    // An array's order is its value.
    expect(fieldChanges(fields, ai, { ...ai, tags: ['b', 'a'] }).map((c) => c.field)).toEqual(['tags']);
  });

  it('reads and writes values at dotted paths, and labels records by their canonical JSON', () => {
    expect(valueAt(ai, 'address.city')).toBe('Austin');
    expect(valueAt(ai, 'address.city.x')).toBeUndefined();
    expect(withValueAt(ai, 'address.city', 'Dallas').address).toEqual({ city: 'Dallas', zip: null });
    expect(ai.address.city).toBe('Austin');
    expect(withValueAt({}, 'a.b', 1)).toEqual({ a: { b: 1 } });
    expect(structuredLabel({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(parseStructuredLabel('{"a":1}')).toEqual({ a: 1 });
    expect(parseStructuredLabel('refund')).toBeUndefined();
    expect(parseStructuredLabel('[1]')).toBeUndefined();
  });
});

const base = (state: Record<string, unknown>): WorkflowSpec<z.ZodType> =>
  ({
    name: 'vendors',
    input: z.object({ doc: z.string() }),
    start: 'extract',
    states: {
      extract: {
        kind: 'decide',
        agent: { name: 'reader', instructions: 'Read the form.' },
        text: (c: { input: { doc: string } }) => c.input.doc,
        policy: { autoAcceptAt: 0.5, queue: 'vendors' },
        next: 'done',
        ...state,
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  }) as unknown as WorkflowSpec<z.ZodType>;

describe('a structured decide state in a workflow definition', () => {
  it('is accepted with an output schema and field policies on its leaf fields', () => {
    expect(
      validateWorkflow(
        base({
          output: schema,
          policy: {
            autoAcceptAt: 0.5,
            queue: 'vendors',
            fields: {
              taxId: { autoAcceptAt: 0.95 },
              'address.city': { autoAccept: { maxError: 0.02, confidence: 0.95 } },
            },
            risks: [{ name: 'big', reason: 'big', fields: ['spend'], reviewers: 2, when: () => false }],
          },
        }),
      ),
    ).toEqual([]);
    expect(() => defineWorkflow(base({ output: schema }) as never)).not.toThrow();
  });

  it('names every problem: labels and output together, neither, unknown fields, bad thresholds', () => {
    expect(validateWorkflow(base({ output: schema, labels: ['a', 'b'] }))).toContain(
      'decide state "extract": give labels (a classification) or output (a structured answer), not both',
    );
    expect(validateWorkflow(base({}))).toContain(
      'decide state "extract" needs labels (a classification) or output (a zod object schema)',
    );
    const problems = validateWorkflow(
      base({
        output: schema,
        policy: {
          autoAcceptAt: 0.5,
          queue: 'vendors',
          fields: {
            taxid: { autoAcceptAt: 0.9 },
            address: { autoAcceptAt: 0.9 },
            taxId: { autoAcceptAt: 1.5 },
            name: {},
            count: { autoAcceptAt: 0.9, autoAccept: { maxError: 0.01, confidence: 0.95 } },
          },
          risks: [{ name: 'r', reason: 'r', fields: ['amount'], when: () => false }],
        },
      }),
    );
    expect(problems.some((p) => p.startsWith('decide state "extract": policy.fields.taxid: no such leaf field'))).toBe(
      true,
    );
    // A nested object is not a leaf: name its fields.
    expect(
      problems.some((p) => p.startsWith('decide state "extract": policy.fields.address: no such leaf field')),
    ).toBe(true);
    expect(problems).toContain(
      'decide state "extract": policy.fields.taxId.autoAcceptAt must be within 0..1 (got 1.5)',
    );
    expect(problems).toContain(
      'decide state "extract": policy.fields.name needs autoAcceptAt (a fixed threshold) or autoAccept ({ maxError, confidence })',
    );
    expect(problems).toContain(
      'decide state "extract": policy.fields.count: give autoAcceptAt or autoAccept, not both',
    );
    expect(problems.some((p) => p.includes('risk rule "r" names field "amount"'))).toBe(true);
    expect(validateWorkflow(base({ output: z.object({ a: z.union([z.string(), z.number()]) }) }))).toContain(
      'decide state "extract": output field "a": unions are not supported (use an enum, or .nullable())',
    );
    expect(
      validateWorkflow(
        base({ labels: ['a', 'b'], policy: { autoAcceptAt: 0.5, queue: 'q', fields: { a: { autoAcceptAt: 1 } } } }),
      ),
    ).toContain('decide state "extract": policy.fields needs an output schema');
  });
});

describe('routing on fields', () => {
  const policy: RoutingPolicy<unknown> = {
    autoAcceptAt: 0.5,
    queue: 'vendors',
    fields: { taxId: { autoAcceptAt: 0.95, queue: 'tax', reviewers: 3 } },
    risks: [
      {
        name: 'large',
        reason: 'Amount over 10,000',
        fields: ['amount'],
        reviewers: 2,
        when: (_c, a) => a.value.amount > 10_000,
      },
    ],
  };
  const answer = (taxId: number | undefined, amount = 10) => ({
    label: '{}',
    confidence: 0.9,
    value: { amount },
    fields: (taxId === undefined ? {} : { taxId: { confidence: taxId, score: 0 } }) as Record<
      string,
      { confidence: number; score: number }
    >,
  });

  it('sends a field below its threshold to its queue, with its reviewers, and accepts it at the threshold', () => {
    const low = routeDecision(policy, {}, answer(0.949));
    expect(low).toEqual({
      route: 'review',
      queue: 'tax',
      reasons: [
        {
          code: 'low_field_confidence',
          message: 'taxId: confidence 94.9% is below its threshold 95.0%',
          fields: ['taxId'],
        },
      ],
    });
    expect(reviewersRequired(policy, low.reasons)).toBe(3);
    expect(routeDecision(policy, {}, answer(0.95)).route).toBe('auto');
    // A field the answer has no confidence for is not trusted.
    expect(routeDecision(policy, {}, answer(undefined)).reasons[0]?.message).toBe(
      'taxId: confidence unknown is below its threshold 95.0%',
    );
  });

  it('applies risk rules to the values, naming their fields', () => {
    const big = routeDecision(policy, {}, answer(0.99, 10_001));
    expect(big.reasons).toEqual([
      { code: 'risk_rule', rule: 'large', message: 'Amount over 10,000', fields: ['amount'] },
    ]);
    expect(reviewersRequired(policy, big.reasons)).toBe(2);
    expect(routeDecision(policy, {}, answer(0.99, 10_000)).route).toBe('auto');
  });

  it('routes a certified field on its own gate and score', () => {
    const certified: RoutingPolicy<unknown> = {
      autoAcceptAt: 0.5,
      queue: 'vendors',
      fields: { taxId: { autoAccept: { maxError: 0.02, confidence: 0.95 } } },
    };
    const a = { label: '{}', confidence: 0.9, fields: { taxId: { confidence: 0.9, score: 2 } } };
    expect(routeDecision(certified, {}, a, undefined, { taxId: { open: true, threshold: 2 } }).route).toBe('auto');
    expect(routeDecision(certified, {}, a, undefined, { taxId: { open: true, threshold: 2.01 } }).reasons).toEqual([
      {
        code: 'below_certified_threshold',
        message: 'taxId: score 2.00 is below the certified threshold 2.01',
        fields: ['taxId'],
      },
    ]);
    const closed = routeDecision(certified, {}, a, undefined, {
      taxId: { open: false, reason: { code: 'uncertified', message: 'not yet' } },
    });
    expect(closed.reasons).toEqual([{ code: 'uncertified', message: 'taxId: not yet', fields: ['taxId'] }]);
  });
});
