// The record a reviewer edits in the correction form of a structured decision, apart from React:
// where editing starts (the AI's object, or a blank record when it gave none), what an emptied
// field becomes, what the form checks before a round trip (the server's schema has the last word),
// and how low a field's confidence must be to be pointed out.
import { type FieldSpec, leafFields, sameFieldValue, valueAt } from '@signoff/core/structured';

/** Below this a field's confidence is highlighted when its policy sets no threshold of its own. */
export const DEFAULT_LOW_CONFIDENCE = 0.8;

export type StructuredRecord = Record<string, unknown>;

/** "taxId" → "Tax id", "payment_terms" → "Payment terms": a field's name as a label. */
export function fieldTitle(name: string): string {
  const words = name
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Where the form starts: a copy of the AI's object, or, when it gave none, a record with every
 * field empty (strings '', booleans false, lists [], nested objects walked into; numbers and enums
 * absent, so that the reviewer has to choose them).
 */
export function initialRecord(fields: readonly FieldSpec[], ai: StructuredRecord | null): StructuredRecord {
  if (ai) return structuredClone(ai);
  return blankObject(fields);
}

function blankObject(fields: readonly FieldSpec[]): StructuredRecord {
  const out: StructuredRecord = {};
  for (const f of fields) {
    const v = blankOf(f);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/** A new, empty value of a field: what "Add row" appends to a list. */
export function blankOf(f: FieldSpec): unknown {
  switch (f.type) {
    case 'string':
    case 'text':
      return f.optional ? undefined : '';
    case 'boolean':
      return f.optional ? undefined : false;
    case 'array':
      return f.optional ? undefined : [];
    case 'object':
      return blankObject(f.fields ?? []);
    default:
      return undefined;
  }
}

/**
 * What an emptied optional field becomes: null where the AI wrote null for it (a `.nullable()`
 * field), absent otherwise (an `.optional()` one). The field specs do not tell the two apart.
 */
export function emptiedValue(ai: StructuredRecord | null, path: string): null | undefined {
  return ai && valueAt(ai, path) === null ? null : undefined;
}

/** Whether a field's confidence is one to point out: below its threshold, or below 80% without one. */
export function isLowConfidence(confidence: number | undefined, threshold: number | undefined): boolean {
  if (confidence === undefined) return false;
  return confidence < (threshold ?? DEFAULT_LOW_CONFIDENCE);
}

/**
 * The problems the form can see in a record before sending it, keyed as the server keys its own
 * (`value.<path>`, `value.<path>.<row>.<field>` within lists): a required field left empty, a
 * number that is not one, bounds, patterns and lengths, an enum value not offered. Fields left as
 * the AI gave them (`ai`) are not checked: the console shows personal data masked (`[email]`), the
 * server keeps the AI's value of a field that comes back unchanged, and checks the record with the
 * state's own schema.
 *
 * @example
 * recordProblems([{ path: 'total', name: 'total', type: 'number', optional: false }], {});
 * // => { 'value.total': 'Enter total' }
 */
export function recordProblems(
  fields: readonly FieldSpec[],
  record: StructuredRecord,
  ai: StructuredRecord | null = null,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of leafFields(fields)) {
    const v = valueAt(record, f.path);
    if (ai && sameFieldValue(valueAt(ai, f.path), v)) continue;
    checkField(f, v, `value.${f.path}`, out);
  }
  return out;
}

function checkField(f: FieldSpec, v: unknown, key: string, out: Record<string, string>): void {
  const label = f.name ? fieldTitle(f.name) : 'This value';
  if (v === undefined || v === null || v === '') {
    if (!f.optional && !(v === '' && (f.type === 'string' || f.type === 'text') && !f.minLength))
      out[key] = `${f.type === 'enum' ? 'Choose' : 'Enter'} ${label.toLowerCase()}`;
    return;
  }
  switch (f.type) {
    case 'number':
    case 'integer':
      if (typeof v !== 'number' || !Number.isFinite(v)) out[key] = `${label} must be a number`;
      else if (f.type === 'integer' && !Number.isInteger(v)) out[key] = `${label} must be a whole number`;
      else if (f.minimum !== undefined && v < f.minimum) out[key] = `${label} must be at least ${f.minimum}`;
      else if (f.maximum !== undefined && v > f.maximum) out[key] = `${label} must be at most ${f.maximum}`;
      return;
    case 'string':
    case 'text':
      if (typeof v !== 'string') out[key] = `${label} must be text`;
      else if (f.minLength !== undefined && v.length < f.minLength)
        out[key] = `${label} needs at least ${f.minLength} characters`;
      else if (f.maxLength !== undefined && v.length > f.maxLength)
        out[key] = `${label} may have at most ${f.maxLength} characters`;
      else if (f.pattern && !safeTest(f.pattern, v)) out[key] = `${label} does not have the expected format`;
      return;
    case 'enum':
      if (!f.options?.includes(String(v))) out[key] = `Choose ${label.toLowerCase()} from the list`;
      return;
    case 'boolean':
      if (typeof v !== 'boolean') out[key] = `${label} must be yes or no`;
      return;
    case 'array': {
      if (!Array.isArray(v)) {
        out[key] = `${label} must be a list`;
        return;
      }
      if (f.minLength !== undefined && v.length < f.minLength)
        out[key] = `${label} needs at least ${rows(f.minLength)}`;
      else if (f.maxLength !== undefined && v.length > f.maxLength)
        out[key] = `${label} may have at most ${rows(f.maxLength)}`;
      const item = f.items;
      if (!item) return;
      v.forEach((row, i) => {
        if (item.type === 'object')
          for (const sub of leafFields(item.fields ?? []))
            checkField(sub, valueAt(row, sub.path), `${key}.${i}.${sub.path}`, out);
        else checkField({ ...item, name: 'value' }, row, `${key}.${i}`, out);
      });
      return;
    }
    default:
      return;
  }
}

function rows(n: number): string {
  return n === 1 ? '1 row' : `${n} rows`;
}

/** A schema's pattern the browser cannot compile is left to the server. */
function safeTest(pattern: string, v: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(v);
  } catch {
    return true;
  }
}

/** The problems that belong to a field: its own and, for a list, its rows'. */
export function problemsOf(problems: Record<string, string | undefined>, path: string): string[] {
  const key = `value.${path}`;
  return Object.entries(problems)
    .filter(([k, m]) => m && (k === key || k.startsWith(`${key}.`)))
    .map(([k, m]) => (k === key ? (m as string) : `${rowName(k.slice(key.length + 1))}: ${m}`));
}

function rowName(rest: string): string {
  const [row, ...field] = rest.split('.');
  return `Row ${Number(row) + 1}${field.length ? ` ${field.join('.')}` : ''}`;
}

/** Moves a list's row `from` by `by` places (−1 up, +1 down); the list as it was at the ends. */
export function movedRow<T>(rows: readonly T[], from: number, by: number): T[] {
  const to = from + by;
  if (to < 0 || to >= rows.length) return [...rows];
  const copy = [...rows];
  const [row] = copy.splice(from, 1) as [T];
  copy.splice(to, 0, row);
  return copy;
}
