import { isAppError } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseExtraction, strictJsonSchema } from './extraction-output';

const schema = z.object({
  taxId: z.string().regex(/^\d{2}-\d{7}$/),
  amount: z.number(),
  note: z.string().optional(),
  vendor: z.object({ country: z.string(), region: z.string().nullable().optional() }),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().optional() })),
});
const jsonSchema = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;

describe('strictJsonSchema', () => {
  it('requires every property, allows no others, and makes optional ones nullable', () => {
    const s = strictJsonSchema(jsonSchema) as {
      $schema?: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { anyOf?: unknown[]; required?: string[]; items?: { required: string[] } }>;
    };
    expect(s.$schema).toBeUndefined();
    expect(s.required).toEqual(['taxId', 'amount', 'note', 'vendor', 'lines']);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.note).toEqual({ anyOf: [{ type: 'string' }, { type: 'null' }] });
    expect(s.properties.vendor?.required).toEqual(['country', 'region']);
    expect(s.properties.lines?.items?.required).toEqual(['sku', 'qty']);
  });
});

describe('parseExtraction', () => {
  it('reads null as absent where the field is optional and not nullable, and keeps a nullable null', () => {
    const v = parseExtraction(
      '{"taxId":"12-3456789","amount":10,"note":null,"vendor":{"country":"DE","region":null},"lines":[{"sku":"a","qty":null}]}',
      schema,
      jsonSchema,
    );
    expect(v).toEqual({
      taxId: '12-3456789',
      amount: 10,
      vendor: { country: 'DE', region: null },
      lines: [{ sku: 'a' }],
    });
  });

  it('names each wrong field', () => {
    try {
      parseExtraction('{"taxId":"123","amount":"ten","vendor":{"country":"DE"},"lines":[]}', schema, jsonSchema);
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, 'AI_INVALID_OUTPUT')).toBe(true);
      const issues = (e as { issues: { path: string }[] }).issues.map((i) => i.path);
      expect(issues).toEqual(['output.taxId', 'output.amount']);
      expect((e as Error).message).toMatch(/^model output violates the output schema: output\.taxId: /);
    }
  });

  it('takes the one object out of prose, refuses text without one', () => {
    expect(
      parseExtraction(
        'Here you go:\n{"taxId":"12-3456789","amount":1,"vendor":{"country":"FR"},"lines":[]}',
        schema,
        jsonSchema,
      ),
    ).toMatchObject({ amount: 1 });
    expect(() => parseExtraction('I found the tax id 12-3456789.', schema, jsonSchema)).toThrow(
      /model output is not one JSON object \(it holds no JSON object\)/,
    );
  });
});
