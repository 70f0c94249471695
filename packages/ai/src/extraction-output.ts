import type { z } from 'zod';
import { type OutputMode, parseModelJson, schemaRequest } from './decision-output';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  type?: unknown;
};

/**
 * A structured output's JSON Schema as strict structured output accepts it (OpenAI's strict mode,
 * vLLM's and llama.cpp's grammars): every object lists all its properties as required and allows
 * no others; a property the schema leaves optional may be `null` instead (strict mode has no
 * absent fields), which `parseExtraction` reads back as absent. `$schema` is left out.
 *
 * @example
 * strictJsonSchema({ type: 'object', properties: { note: { type: 'string' } } });
 * // { type: 'object', properties: { note: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, required: ['note'], additionalProperties: false }
 */
export function strictJsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = schema;
  return strict(rest as Schema);
}

function strict(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => {
        const s = strict(v);
        return [k, required.has(k) || allowsNull(v) ? s : { anyOf: [s, { type: 'null' }] }];
      }),
    );
    out.required = Object.keys(schema.properties);
    out.additionalProperties = false;
  }
  if (schema.items) out.items = strict(schema.items);
  if (schema.anyOf) out.anyOf = schema.anyOf.map(strict);
  if (schema.oneOf) out.oneOf = schema.oneOf.map(strict);
  return out;
}

function allowsNull(s: Schema): boolean {
  if (s.type === 'null' || (Array.isArray(s.type) && s.type.includes('null'))) return true;
  return (s.anyOf ?? s.oneOf ?? []).some(allowsNull);
}

/** The alternative of a nullable schema that is not null (the schema itself otherwise). */
function nonNull(s: Schema): Schema {
  const alternatives = (s.anyOf ?? s.oneOf ?? []).filter((a) => a.type !== 'null');
  return alternatives.length === 1 ? (alternatives[0] as Schema) : s;
}

/**
 * The parts of a chat completion request that ask for the object `jsonSchema` describes, in
 * `mode` (as `decisionRequest` asks for a decision): the strict schema as the `decision` output
 * format or forced function, or in JSON mode's system message.
 *
 * @example
 * const body = { model, temperature: 0, ...extractionRequest('json_schema', instructions, text, outputJsonSchema(schema)) };
 */
export function extractionRequest(
  mode: OutputMode,
  instructions: string,
  text: string,
  jsonSchema: Record<string, unknown>,
) {
  return schemaRequest(mode, instructions, text, strictJsonSchema(jsonSchema), {
    tool: 'Records the answer: one object with the fields of the schema.',
    jsonMode: '(an optional field the text does not give is null)',
  });
}

/**
 * Parses a model's structured answer and validates it with the state's zod `schema`: the one JSON
 * object in the content (see `extractJsonObject`), `null` read as absent where the JSON Schema
 * leaves a field optional but not nullable (strict mode writes null for it), then `schema`. Returns
 * what the schema parsed; throws `AI_INVALID_OUTPUT` naming each field that is wrong (`output.<path>`).
 *
 * @example
 * parseExtraction('{"taxId":"12-3456789","note":null}', z.object({ taxId: z.string(), note: z.string().optional() }), jsonSchema);
 * // { taxId: '12-3456789' }
 */
export function parseExtraction(
  content: string,
  // biome-ignore lint/suspicious/noExplicitAny: any object schema.
  schema: z.ZodObject<any>,
  jsonSchema: Record<string, unknown>,
): Record<string, unknown> {
  return parseModelJson(content, schema, 'output schema', (json) =>
    withoutAbsentNulls(json, jsonSchema as Schema),
  ) as Record<string, unknown>;
}

/** `value` without the nulls that stand for absent optional fields (see `strictJsonSchema`). */
function withoutAbsentNulls(value: unknown, schema: Schema): unknown {
  const s = nonNull(schema);
  if (Array.isArray(value)) return s.items ? value.map((v) => withoutAbsentNulls(v, s.items as Schema)) : value;
  if (!value || typeof value !== 'object' || !s.properties) return value;
  const required = new Set(s.required ?? []);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = s.properties[k];
    if (!sub) out[k] = v;
    else if (v === null && !required.has(k) && !allowsNull(sub)) continue;
    else out[k] = withoutAbsentNulls(v, sub);
  }
  return out;
}
