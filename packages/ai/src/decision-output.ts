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
