import type { Resilience, TaskRunMeta, TaskState, VisitLimit, WorkflowContext } from '@signoff/core';

/** An error that more tries cannot fix (e.g. the receiver answered 400): the state gives up at once. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly retryable = false;
}

export function isPermanent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === false;
}

export interface WebhookOptions<C> extends Resilience, VisitLimit {
  description?: string;
  url: string | ((ctx: C) => string);
  method?: 'POST' | 'PUT' | 'PATCH';
  body: (ctx: C) => unknown;
  headers?: Record<string, string> | ((ctx: C) => Record<string, string>);
  next: string;
}

/**
 * A `task` state that calls an HTTP endpoint with the state run's idempotency key in the
 * `Idempotency-Key` header (the same on every retry, so the receiver can apply it once). 2xx: the
 * JSON (or text) response becomes the state's output. 408, 429 and 5xx and network errors are
 * retried per the state's policy; other 4xx fail at once (retrying would not help).
 *
 * @example
 * notifyCrm: webhookTask({
 *   url: 'https://crm.example.com/hooks/ticket', body: (ctx) => ({ ticket: ctx.input.ticketId, team: ctx.handoff.team }),
 *   retry: { maxAttempts: 5, initialDelayMs: 500 }, timeoutMs: 5000, onError: 'notifyFailed', next: 'done',
 * }),
 */
// biome-ignore lint/suspicious/noExplicitAny: any workflow's context, unless the caller names its own.
export function webhookTask<C = WorkflowContext<any>>(options: WebhookOptions<NoInfer<C>>): TaskState<NoInfer<C>> {
  const { url, method, body, headers, ...state } = options;
  return {
    ...state,
    kind: 'task',
    description: options.description ?? `${method ?? 'POST'} ${typeof url === 'string' ? url : 'webhook'}`,
    run: async (ctx: C, meta: TaskRunMeta) => {
      const target = typeof url === 'function' ? url(ctx) : url;
      const extra = typeof headers === 'function' ? headers(ctx) : (headers ?? {});
      const res = await fetch(target, {
        method: method ?? 'POST',
        headers: { 'content-type': 'application/json', ...extra, 'idempotency-key': meta.idempotencyKey },
        body: JSON.stringify(body(ctx)),
        signal: meta.signal,
      });
      const text = await res.text();
      if (!res.ok) {
        const message = `${method ?? 'POST'} ${target} answered ${res.status}: ${text.slice(0, 200)}`;
        if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(message);
        throw new PermanentError(message);
      }
      try {
        return { status: res.status, body: text ? JSON.parse(text) : null };
      } catch {
        return { status: res.status, body: text };
      }
    },
  };
}
