// Sends one batch to a server's ingestion API, retrying what a retry can fix.
import { type IngestResult, ingestBatchResponse } from '@signoff/server';
import type { LineError } from './submit-lines';

export interface BatchClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  apiKey: string;
  /** Tries per batch, the first included. */
  attempts?: number;
  /** Wait before the second try; each later one waits three times longer (with jitter). */
  retryDelayMs?: number;
  /** Per request: a request that takes longer counts as a network error. */
  timeoutMs?: number;
  /** Aborts the waits and requests in flight. */
  signal?: AbortSignal;
}

export type BatchOutcome =
  /** One result per item, in the batch's order; items the server kept failing have status `error`. */
  | { ok: true; results: IngestResult[] }
  /**
   * The batch as a whole was refused or never answered. `fatal`: no later batch would fare better
   * (API key refused, not a Signoff server, no answer after every try), so stop sending.
   */
  | { ok: false; fatal: boolean; error: LineError };

type Attempt =
  | { kind: 'answered'; results: IngestResult[] }
  | { kind: 'retry'; error: LineError }
  | { kind: 'refused'; fatal: boolean; error: LineError };

/**
 * Posts `items` as one batch. Network errors, timeouts and 5xx answers are retried with back-off,
 * and so are the items a 200 answer reports as `error`: resubmitting is safe because every item
 * carries an idempotency key. Invalid items are never retried.
 *
 * @example
 * const outcome = await sendBatch([{ workflow: 'support-triage', input, idempotencyKey: 'k1' }],
 *   { url: 'http://127.0.0.1:3000', apiKey });
 * if (outcome.ok) console.log(outcome.results[0]?.status);
 */
export async function sendBatch(items: readonly unknown[], options: BatchClientOptions): Promise<BatchOutcome> {
  const attempts = options.attempts ?? 3;
  const results: (IngestResult | undefined)[] = new Array(items.length).fill(undefined);
  let pending = items.map((_, i) => i);
  let lastError: LineError = { code: 'NETWORK', message: 'not sent' };
  for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
    if (attempt > 1) await backoff(attempt, options);
    if (options.signal?.aborted) break;
    const answer = await postOnce(
      pending.map((i) => items[i]),
      options,
    );
    if (answer.kind === 'refused') {
      if (results.every((r) => r === undefined)) return { ok: false, fatal: answer.fatal, error: answer.error };
      // Part of the batch is in: report that part, and the rest as failed.
      lastError = answer.error;
      break;
    }
    if (answer.kind === 'retry') {
      lastError = answer.error;
      continue;
    }
    for (const r of answer.results) {
      const original = pending[r.index];
      if (original !== undefined) results[original] = { ...r, index: original };
    }
    pending = pending.filter((i) => results[i] === undefined || results[i]?.status === 'error');
  }
  // No answer after every try: the server is down or failing, and so would the next batch be.
  if (results.every((r) => r === undefined)) return { ok: false, fatal: true, error: lastError };
  return {
    ok: true,
    results: results.map((r, index) => r ?? { index, status: 'error', error: lastError }),
  };
}

async function postOnce(items: unknown[], options: BatchClientOptions): Promise<Attempt> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  let res: Response;
  try {
    res = await fetch(`${options.url.replace(/\/+$/, '')}/api/v1/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
  } catch (e) {
    if (options.signal?.aborted)
      return { kind: 'refused', fatal: true, error: { code: 'ABORTED', message: 'aborted' } };
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return { kind: 'retry', error: { code: 'NETWORK', message: `${e instanceof Error ? e.message : e}${cause}` } };
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 500) return { kind: 'retry', error: serverError(res.status, text) };
  if (res.status === 401 || res.status === 403)
    return { kind: 'refused', fatal: true, error: serverError(res.status, text, 'check --api-key or SIGNOFF_API_KEY') };
  if (res.status === 404)
    return { kind: 'refused', fatal: true, error: serverError(res.status, text, `no ingestion API at ${options.url}`) };
  if (!res.ok) return { kind: 'refused', fatal: false, error: serverError(res.status, text) };
  const parsed = ingestBatchResponse.safeParse(safeJson(text));
  if (!parsed.success || parsed.data.results.length !== items.length)
    return {
      kind: 'refused',
      fatal: true,
      error: { code: 'BAD_RESPONSE', message: `unexpected answer from ${options.url}: is it a Signoff server?` },
    };
  return { kind: 'answered', results: parsed.data.results };
}

function serverError(status: number, text: string, hint?: string): LineError {
  const body = safeJson(text) as { error?: { code?: unknown; message?: unknown } } | undefined;
  const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP_${status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : text.slice(0, 200);
  return { code, message: `HTTP ${status}: ${message || '(no body)'}${hint ? ` (${hint})` : ''}` };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sleeps before try `attempt` (2, 3, …); returns early when the signal aborts. */
function backoff(attempt: number, options: BatchClientOptions): Promise<void> {
  const base = (options.retryDelayMs ?? 500) * 3 ** (attempt - 2);
  const ms = base * (0.75 + Math.random() * 0.5);
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', done);
      resolve();
    }
    options.signal?.addEventListener('abort', done, { once: true });
  });
}
