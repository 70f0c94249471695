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
  const schema = decisionJsonSchema(labels);
  const user = { role: 'user' as const, content: text };
  switch (mode) {
    case 'json_schema':
      return {
        messages: [{ role: 'system' as const, content: instructions }, user],
        response_format: {
          type: 'json_schema' as const,
          json_schema: { name: DECISION_FUNCTION, strict: true, schema },
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
              description: 'Records the decision: one of the allowed labels, a short rationale and a confidence.',
              strict: true,
              parameters: schema,
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
              `${instructions}\n\nAnswer with one JSON object and nothing else. It must match this JSON Schema ` +
              `(give "label" first; it must be one of the enum values):\n${JSON.stringify(schema)}`,
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
 * Parses and validates a model's message content against the decision schema. Throws
 * `AI_INVALID_OUTPUT` saying exactly what was wrong (not JSON, which field, a label not offered).
 *
 * @example
 * parseDecisionOutput('{"label":"refund","rationale":"asks for money back","confidence":0.9}', ['refund', 'other']);
 */
export function parseDecisionOutput(content: string, labels: readonly string[]): ModelDecision {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (e) {
    throw new AppError(
      'AI_INVALID_OUTPUT',
      `model output is not valid JSON (${(e as Error).message}): ${excerpt(content)}`,
      {
        cause: e,
      },
    );
  }
  const schema = z.strictObject({
    label: z.string().refine((l) => labels.includes(l), {
      error: (issue) => `label ${JSON.stringify(issue.input)} is not one of the allowed labels: ${labels.join(', ')}`,
    }),
    rationale: z.string(),
    confidence: z.number().min(0).max(1),
  });
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues, 'output');
    throw new AppError(
      'AI_INVALID_OUTPUT',
      `model output violates the decision schema: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
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
