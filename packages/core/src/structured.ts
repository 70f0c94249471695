// Structured decisions: a decide state whose agent answers with an object described by a zod
// schema (an extraction, a scored risk with reasons, a drafted reply) instead of a label. This
// module is browser-safe (the console builds its correction form from the same field specs).
//
// The schema is described by its fields (`FieldSpec`), read from its JSON Schema. Confidence,
// routing, correction and accuracy work per *leaf field*: a scalar (string, number, boolean,
// enum, free text) or an array taken as one value; nested objects are walked into, so the leaf
// fields of `{ vendor: { taxId } }` are `vendor.taxId`. An answer's label is the canonical JSON of
// its object, so that equality of labels (agreement between reviewers, a confirm, the accuracy of
// the whole record) is equality of values.
import { canonicalJson } from './canonical-json';

export type FieldType = 'string' | 'text' | 'number' | 'integer' | 'boolean' | 'enum' | 'array' | 'object';

/** One field of a structured output's schema, as the correction form and the routing see it. */
export interface FieldSpec {
  /** Dotted path from the root object: `vendor.taxId`. Within an array's `items`, relative to the element. */
  path: string;
  /** The last segment of the path. */
  name: string;
  type: FieldType;
  /** May be absent or null. */
  optional: boolean;
  /** From `.describe()`: shown beside the editor, and given to the model and the extractor. */
  description?: string;
  /** Enum values (`type: 'enum'`). */
  options?: string[];
  /** Bounds of numbers (`minimum`, `maximum`) and lengths of strings and arrays. */
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  /** Regular expression a string must match (`.regex()`). */
  pattern?: string;
  /** An array's element (`path` relative to the element: '' for scalars, field names for objects). */
  items?: FieldSpec;
  /** An object's fields. */
  fields?: FieldSpec[];
}

/** A leaf field whose value the human changed: its path and both values (undefined when absent). */
export interface FieldChange {
  field: string;
  ai: unknown;
  human: unknown;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  draft?: boolean;
  const?: unknown;
  additionalProperties?: unknown;
};

/**
 * The fields of a structured output from its JSON Schema (`z.toJSONSchema(schema)`), or the
 * problems that make it unusable: the root must be an object; fields are strings (`.meta({ draft:
 * true })` marks free text: a draft a person edits), numbers, integers, booleans, string enums,
 * arrays and nested objects, named like identifiers. Unions (other than `.nullable()`), records,
 * tuples and the like are refused, naming the field.
 *
 * @example
 * describeFields(z.toJSONSchema(z.object({ taxId: z.string(), kind: z.enum(['llc', 'sole']) })));
 * // => { fields: [{ path: 'taxId', type: 'string', ... }, { path: 'kind', type: 'enum', options: ['llc', 'sole'], ... }], problems: [] }
 */
export function describeFields(jsonSchema: unknown): { fields: FieldSpec[]; problems: string[] } {
  const problems: string[] = [];
  const root = jsonSchema as JsonSchema;
  if (!root || typeof root !== 'object' || root.type !== 'object' || !root.properties) {
    return { fields: [], problems: ['the output schema must be a z.object({...}) with at least one field'] };
  }
  const fields = objectFields(root, '', problems);
  if (fields.length === 0 && problems.length === 0) problems.push('the output schema must have at least one field');
  return { fields, problems };
}

function objectFields(schema: JsonSchema, prefix: string, problems: string[]): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  const out: FieldSpec[] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (!FIELD_NAME.test(name)) {
      problems.push(`output field "${path}": a field name must be letters, digits and _ (not starting with a digit)`);
      continue;
    }
    const spec = fieldOf(sub, path, name, !required.has(name), problems);
    if (spec) out.push(spec);
  }
  return out;
}

function fieldOf(
  raw: JsonSchema,
  path: string,
  name: string,
  notRequired: boolean,
  problems: string[],
): FieldSpec | undefined {
  let schema = raw;
  let nullable = false;
  // `.nullable()` is `anyOf: [X, {type: 'null'}]` or `type: [X, 'null']`.
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const rest = alternatives.filter((a) => a.type !== 'null');
    if (rest.length !== 1 || rest.length === alternatives.length) {
      problems.push(`output field "${path}": unions are not supported (use an enum, or .nullable())`);
      return undefined;
    }
    nullable = true;
    schema = { ...(rest[0] as JsonSchema), description: raw.description ?? rest[0]?.description };
  }
  let type = schema.type;
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    nullable ||= rest.length < type.length;
    if (rest.length !== 1) {
      problems.push(`output field "${path}": unions are not supported (use an enum, or .nullable())`);
      return undefined;
    }
    type = rest[0];
  }
  const base = {
    path,
    name,
    optional: notRequired || nullable,
    ...(schema.description ? { description: schema.description } : {}),
  };
  if (schema.enum) {
    if (!schema.enum.every((v) => typeof v === 'string') || schema.enum.length === 0) {
      problems.push(`output field "${path}": enums must list strings`);
      return undefined;
    }
    return { ...base, type: 'enum', options: schema.enum as string[] };
  }
  switch (type) {
    case 'string':
      return {
        ...base,
        type: schema.draft ? 'text' : 'string',
        ...bounds(schema, ['minLength', 'maxLength']),
        ...(schema.pattern ? { pattern: schema.pattern } : {}),
      };
    case 'number':
    case 'integer':
      return { ...base, type, ...bounds(schema, ['minimum', 'maximum']) };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'array': {
      if (!schema.items) {
        problems.push(`output field "${path}": an array needs an element type`);
        return undefined;
      }
      const item = fieldOf(schema.items, '', '', false, problems);
      if (!item) return undefined;
      if (item.type === 'array') {
        problems.push(`output field "${path}": arrays of arrays are not supported`);
        return undefined;
      }
      return {
        ...base,
        type: 'array',
        items: item,
        ...(schema.minItems !== undefined ? { minLength: schema.minItems } : {}),
        ...(schema.maxItems !== undefined ? { maxLength: schema.maxItems } : {}),
      };
    }
    case 'object': {
      if (!schema.properties || Object.keys(schema.properties).length === 0) {
        problems.push(`output field "${path || 'array element'}": an object needs fields (records are not supported)`);
        return undefined;
      }
      return { ...base, type: 'object', fields: objectFields(schema, path, problems) };
    }
    default:
      problems.push(`output field "${path || 'array element'}": type ${String(type)} is not supported`);
      return undefined;
  }
}

function bounds(schema: JsonSchema, keys: (keyof JsonSchema)[]): Partial<FieldSpec> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const v = schema[k];
    // zod writes integers' safe range as bounds: not a bound anyone set.
    if (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER) out[k] = v;
  }
  return out as Partial<FieldSpec>;
}

/**
 * The leaf fields of a schema, in order: what carries a confidence, what a policy can name, what a
 * correction changes. Nested objects are walked into; arrays are one leaf (the list as a whole).
 */
export function leafFields(fields: readonly FieldSpec[]): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const f of fields) {
    if (f.type === 'object') out.push(...leafFields(f.fields ?? []));
    else out.push(f);
  }
  return out;
}

/** The value at a dotted path (undefined when any step is missing). */
export function valueAt(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** A copy of `value` with `path` set to `next` (objects on the way created as needed). */
export function withValueAt(value: Record<string, unknown>, path: string, next: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const copy = { ...value };
  if (rest.length === 0) {
    if (next === undefined) delete copy[head];
    else copy[head] = next;
    return copy;
  }
  const child = copy[head];
  copy[head] = withValueAt(
    child && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : {},
    rest.join('.'),
    next,
  );
  return copy;
}

/** Two field values are the same when their canonical JSON is (absent and null are the same). */
export function sameFieldValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

/**
 * The leaf fields a human changed, with both values: the field-level diff a structured label keeps.
 *
 * @example
 * fieldChanges(fields, { taxId: '12-345', amount: 10 }, { taxId: '12-346', amount: 10 });
 * // => [{ field: 'taxId', ai: '12-345', human: '12-346' }]
 */
export function fieldChanges(fields: readonly FieldSpec[], ai: unknown, human: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of leafFields(fields)) {
    const a = valueAt(ai, f.path);
    const h = valueAt(human, f.path);
    if (!sameFieldValue(a, h)) out.push({ field: f.path, ai: a ?? null, human: h ?? null });
  }
  return out;
}

/** The label of a structured answer: its canonical JSON (equal values, equal labels). */
export function structuredLabel(value: unknown): string {
  return canonicalJson(value);
}

/** The object a structured label stands for; undefined when the label is not a JSON object. */
export function parseStructuredLabel(label: string | null | undefined): Record<string, unknown> | undefined {
  if (!label?.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(label) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** How sure the AI was of one leaf field, and how that was measured (recorded with the decision). */
export interface FieldConfidenceRecord {
  /** Raw confidence that the field's value is right, 0..1. */
  confidence: number;
  /** Log-odds of it (never rounded; ±1e6 for certainty): what per-field certified thresholds are on. */
  score: number;
  /** `logprobs`, `self-consistency`, `posterior` (the built-in extractor's learnt accuracy), `verbalized`, `unavailable`. */
  method: string;
  /** Why the confidence is not what the method alone suggests. */
  note?: string;
}
