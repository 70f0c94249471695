import { createHash } from 'node:crypto';

/**
 * The version of a prompt: the first 12 hex digits of the SHA-256 of the agent's instructions and
 * the allowed labels, so a change to either (both change what the model is asked) is a new version.
 * The labels are hashed in the given order: their order is part of the schema the model sees.
 *
 * @example
 * promptVersion('Is this a refund request?', ['refund', 'other']); // e.g. '3f1c0a9be2d4'
 */
export function promptVersion(instructions: string, labels: readonly string[]): string {
  // JSON keeps the boundary between instructions and labels unambiguous.
  return sha256Hex(JSON.stringify({ instructions, labels })).slice(0, 12);
}

/**
 * SHA-256 hex of a decision's input text: lets the audit trail prove which input was classified
 * without comparing the text itself.
 *
 * @example
 * inputHash('I want my money back'); // 64 hex digits
 */
export function inputHash(text: string): string {
  return sha256Hex(text);
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}
