import { AppError, toFieldIssues } from '@signoff/core';
import { z } from 'zod';

/** What a model must answer to a `decide` request. */
export interface ModelDecision {
  label: string;
  rationale: string;
  /** The model's own (verbalised) confidence, 0..1. */
  confidence: number;
}

/**
 * The JSON schema sent as the `decision` structured output format (strict mode: every property
 * required, no others). `label` comes first so the model commits to it before explaining, and its
 * token log probabilities measure that commitment.
 *
 * @example
 * decisionJsonSchema(['refund', 'other']).properties.label; // { type: 'string', enum: ['refund', 'other'] }
 */
export function decisionJsonSchema(labels: readonly string[]) {
  return {
    type: 'object',
    properties: {
      label: { type: 'string', enum: [...labels], description: 'The one answer chosen from the allowed labels.' },
      rationale: { type: 'string', description: 'One or two sentences a human reviewer can check.' },
      confidence: { type: 'number', minimum: 0, maximum: 1, description: 'Probability that the label is right.' },
    },
    required: ['label', 'rationale', 'confidence'],
    additionalProperties: false,
  } as const;
}

/**
 * How the decision schema is imposed on the model, from best to last resort:
 *
 * - `json_schema`: `response_format: { type: 'json_schema', strict: true }` (OpenAI, recent vLLM,
 *   llama.cpp, Ollama);
 * - `tool_call`: one forced function call whose parameters are the schema, for servers that
 *   constrain tool arguments but not `response_format` (older vLLM and TGI);
 * - `json_object`: JSON mode, with the schema in the system message.
 *
 * The answer is validated by `parseDecisionOutput` in every mode.
 */
export type OutputMode = 'json_schema' | 'tool_call' | 'json_object';

export const OUTPUT_MODES: readonly OutputMode[] = ['json_schema', 'tool_call', 'json_object'];

/** Name of the structured output format and of the forced function. */
export const DECISION_FUNCTION = 'decision';

/**
 * The parts of a chat completion request that ask for a decision in `mode`: the messages (the
 * agent's instructions as the system message, the text as the user's) and `response_format` or
 * `tools` + `tool_choice`.
 *
 * @example
 * const body = { model, temperature: 0, ...decisionRequest('tool_call', instructions, text, labels) };
 */
export function decisionRequest(mode: OutputMode, instructions: string, text: string, labels: readonly string[]) {
  return schemaRequest(mode, instructions, text, decisionJsonSchema(labels), {
    tool: 'Records the decision: one of the allowed labels, a short rationale and a confidence.',
    jsonMode: '(give "label" first; it must be one of the enum values)',
  });
}

/**
 * A request for one JSON object that `schema` describes, in `mode` (see `decisionRequest`): the
 * format (and forced function) is named `decision` whatever it holds; `wording.tool` describes the
 * function, `wording.jsonMode` is said of the schema in JSON mode's system message.
 *
 * @example
 * const body = { model, ...schemaRequest('json_object', instructions, text, schema, { tool: 'Records the invoice.', jsonMode: '' }) };
 */
export function schemaRequest(
  mode: OutputMode,
  instructions: string,
  text: string,
  schema: object,
  wording: { tool: string; jsonMode: string },
) {
  const user = { role: 'user' as const, content: text };
  switch (mode) {
    case 'json_schema':
      return {
        messages: [{ role: 'system' as const, content: instructions }, user],
        response_format: {
          type: 'json_schema' as const,
          json_schema: { name: DECISION_FUNCTION, strict: true, schema: schema as Record<string, unknown> },
        },
      };
    case 'tool_call':
      return {
        messages: [{ role: 'system' as const, content: instructions }, user],
        tools: [
          {
            type: 'function' as const,
            function: {
              name: DECISION_FUNCTION,
              description: wording.tool,
              strict: true,
              parameters: schema as Record<string, unknown>,
            },
          },
        ],
        tool_choice: { type: 'function' as const, function: { name: DECISION_FUNCTION } },
      };
    case 'json_object':
      return {
        // JSON mode constrains the syntax only; the schema travels in the prompt (which must
        // mention JSON for OpenAI to accept the mode) and the answer is validated as always.
        messages: [
          {
            role: 'system' as const,
            content:
              `${instructions}\n\nAnswer with one JSON object and nothing else. It must match this JSON Schema` +
              `${wording.jsonMode ? ` ${wording.jsonMode}` : ''}:\n${JSON.stringify(schema)}`,
          },
          user,
        ],
        response_format: { type: 'json_object' as const },
      };
  }
}

/** A choice's message as far as the decision is concerned. */
export interface DecisionMessage {
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ReadonlyArray<{ type: string; function?: { name: string; arguments: string } }> | null;
}

/**
 * The decision JSON text of an answer in `mode`: the message content, or in `tool_call` mode the
 * arguments of the call to the decision function (some servers put the JSON in the content
 * instead, which is accepted too). `undefined` when there is none.
 *
 * @example
 * const json = decisionText('tool_call', completion.choices[0].message);
 */
export function decisionText(mode: OutputMode, message: DecisionMessage): string | undefined {
  if (mode === 'tool_call') {
    const call = message.tool_calls?.find((c) => c.type === 'function' && c.function?.name === DECISION_FUNCTION);
    if (call?.function && call.function.arguments.trim() !== '') return call.function.arguments;
  }
  return typeof message.content === 'string' && message.content.trim() !== '' ? message.content : undefined;
}

/**
 * The one JSON object in a model's message: the whole content when it parses, else the inside of
 * a Markdown code fence (```` ```json … ``` ````) or the single top-level `{…}` with prose before or
 * after it, as servers that ignore `response_format` answer. Never more than that: two objects, an
 * object cut short or no object at all is `undefined` with the reason, since picking one would be
 * guessing.
 *
 * @example
 * extractJsonObject('Sure!\n```json\n{"label":"refund"}\n```'); // { json: '{"label":"refund"}', lenient: 'code fence' }
 */
export function extractJsonObject(
  content: string,
): { json: string; lenient?: 'code fence' | 'prose around it' } | { error: string } {
  const trimmed = content.trim();
  if (isJson(trimmed)) return { json: trimmed };
  const fences = [...trimmed.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g)];
  if (fences.length > 1) return { error: `it holds ${fences.length} code blocks, not one JSON object` };
  if (fences.length === 1) {
    const inside = (fences[0]?.[1] ?? '').trim();
    if (isJson(inside)) return { json: inside, lenient: 'code fence' };
  }
  const objects = topLevelObjects(trimmed);
  if (objects.unterminated) return { error: 'a JSON object in it is cut short' };
  if (objects.spans.length === 0) return { error: 'it holds no JSON object' };
  if (objects.spans.length > 1) return { error: `it holds ${objects.spans.length} JSON objects, not one` };
  const [start, end] = objects.spans[0] as [number, number];
  const candidate = trimmed.slice(start, end);
  if (!isJson(candidate)) return { error: 'the object in it is not valid JSON' };
  return { json: candidate, lenient: 'prose around it' };
}

function isJson(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Spans of the top-level `{…}` in a text, braces inside JSON strings ignored. */
function topLevelObjects(text: string): { spans: [number, number][]; unterminated: boolean } {
  const spans: [number, number][] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) spans.push([start, i + 1]);
    }
  }
  return { spans, unterminated: depth > 0 };
}

/**
 * Parses and validates a model's message content against the decision schema. The JSON may sit in
 * a code fence or among prose (`extractJsonObject`); beyond that nothing is guessed. Throws
 * `AI_INVALID_OUTPUT` saying exactly what was wrong (no JSON object, which field, a label not
 * offered).
 *
 * @example
 * parseDecisionOutput('{"label":"refund","rationale":"asks for money back","confidence":0.9}', ['refund', 'other']);
 */
export function parseDecisionOutput(content: string, labels: readonly string[]): ModelDecision {
  const schema = z.strictObject({
    label: z.string().refine((l) => labels.includes(l), {
      error: (issue) => `label ${JSON.stringify(issue.input)} is not one of the allowed labels: ${labels.join(', ')}`,
    }),
    rationale: z.string(),
    confidence: z.number().min(0).max(1),
  });
  return parseModelJson(content, schema, 'decision schema');
}

/**
 * The one JSON object of a model's message (`extractJsonObject`), made over by `prepare`, parsed
 * by `schema`; `AI_INVALID_OUTPUT` saying what was wrong, each field as `output.<path>`, with the
 * schema named as `what` ("decision schema").
 *
 * @example
 * parseModelJson('{"a":1}', z.object({ a: z.number() }), 'output schema'); // { a: 1 }
 */
export function parseModelJson<T>(
  content: string,
  schema: z.ZodType<T>,
  what: string,
  prepare: (json: unknown) => unknown = (json) => json,
): T {
  const found = extractJsonObject(content);
  if ('error' in found) {
    throw new AppError(
      'AI_INVALID_OUTPUT',
      `model output is not one JSON object (${found.error}): ${excerpt(content)}`,
    );
  }
  const parsed = schema.safeParse(prepare(JSON.parse(found.json)));
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues, 'output');
    throw new AppError(
      'AI_INVALID_OUTPUT',
      `model output violates the ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { cause: parsed.error, issues },
    );
  }
  return parsed.data;
}

/** The start of a long text, for error messages. */
export function excerpt(text: string, max = 120): string {
  const s = JSON.stringify(text);
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
