import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/** Why a line never reached the server, or what the server said about it. */
export interface LineError {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
}

export type ParsedLine =
  | { kind: 'blank' }
  | { kind: 'item'; submission: Record<string, unknown> }
  | { kind: 'rejected'; error: LineError };

export interface LineDefaults {
  /** Workflow of lines that name none (`--workflow`). */
  workflow?: string | undefined;
  /** Lines without an idempotency key get `PREFIX:LINE`. */
  idempotencyPrefix: string;
}

/**
 * One line of a submit file: `{workflow?, input, idempotencyKey?}`. Blank lines are skipped; a line
 * that is not a JSON object, or names no workflow when there is no default, is rejected here. The
 * input itself is left for the server to validate against the workflow.
 *
 * @example
 * parseSubmitLine('{"input":{"a":1}}', 7, { workflow: 'support-triage', idempotencyPrefix: 'tickets' });
 * // { kind: 'item', submission: { workflow: 'support-triage', input: { a: 1 }, idempotencyKey: 'tickets:7' } }
 */
export function parseSubmitLine(text: string, line: number, defaults: LineDefaults): ParsedLine {
  if (text.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      kind: 'rejected',
      error: { code: 'MALFORMED_JSON', message: `malformed JSON: ${e instanceof Error ? e.message : String(e)}` },
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      kind: 'rejected',
      error: { code: 'BAD_INPUT', message: 'each line must be a JSON object {workflow?, input, idempotencyKey?}' },
    };
  const fields = value as Record<string, unknown>;
  const workflow = fields.workflow ?? defaults.workflow;
  if (workflow === undefined)
    return {
      kind: 'rejected',
      error: { code: 'BAD_INPUT', message: 'no workflow: add "workflow" to the line or pass --workflow NAME' },
    };
  return {
    kind: 'item',
    submission: {
      workflow,
      input: fields.input,
      idempotencyKey: fields.idempotencyKey ?? lineIdempotencyKey(defaults.idempotencyPrefix, line),
    },
  };
}

/** The idempotency key of a line that brings none: stable across re-runs of the same file. */
export function lineIdempotencyKey(prefix: string, line: number): string {
  return `${prefix}:${line}`;
}

/**
 * The default key prefix: the file's name and a hash of its name, size and modification time, so
 * re-running the same file creates nothing twice while an edited file counts as a new one.
 *
 * @example
 * defaultIdempotencyPrefix('/data/tickets.jsonl', { size: 1024, mtimeMs: 1760000000000 });
 * // 'tickets.jsonl@3f2a…' (12 hex digits)
 */
export function defaultIdempotencyPrefix(path: string, stats: { size: number; mtimeMs: number }): string {
  const name = basename(path);
  const hash = createHash('sha256')
    .update(`${name}\u0000${stats.size}\u0000${Math.trunc(stats.mtimeMs)}`)
    .digest('hex')
    .slice(0, 12);
  // Keys are at most 200 characters; leave room for the hash and the line number.
  return `${name.slice(0, 120)}@${hash}`;
}
