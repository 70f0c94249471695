import type { AppRouter } from '@signoff/api';
import { CSRF_HEADER, TRPC_MAX_BATCH_CALLS } from '@signoff/core/schemas';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export type Outputs = inferRouterOutputs<AppRouter>;
export type TaskView = NonNullable<Outputs['tasks']['get']>;
export type QueueRow = Outputs['tasks']['queues'][number];
export type TimelineEvent = Outputs['items']['timeline'][number];
export type ItemDetail = Outputs['items']['get'];
export type ItemRow = Outputs['items']['list']['items'][number];
export type TrustState = Outputs['trust']['states'][number];
export type PolicyVersionRow = Outputs['trust']['history'][number];
export type AccuracyRow = Outputs['trust']['accuracy'][number];
export type CertificationReport = Outputs['trust']['certify'];
export type CertificateDetail = Outputs['trust']['certificate'];
export type Dashboards = Outputs['dashboards'];
export type DashboardOptions = Dashboards['options'];

/** One candidate threshold of a certification: a point of its trade-off curve. */
export type CurvePoint = CertificateDetail['evidence']['curve'][number];

/**
 * A client for the console's session: the browser sends the HttpOnly session cookie by itself, and
 * every call carries the CSRF token, read at request time so sign-in takes effect at once. Calls
 * made together are batched, at most `TRPC_MAX_BATCH_CALLS` a request (the server refuses bigger
 * batches). `fetchImpl` is for clients outside a browser, which keep the cookie themselves.
 */
export function createApiClient(getCsrfToken: () => string | null, url = '/trpc', fetchImpl?: typeof fetch) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url,
        maxItems: TRPC_MAX_BATCH_CALLS,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
        headers() {
          const csrf = getCsrfToken();
          return csrf ? { [CSRF_HEADER]: csrf } : {};
        },
      }),
    ],
  });
}

export type ApiError = TRPCClientError<AppRouter>;

export function isApiError(e: unknown): e is ApiError {
  return e instanceof TRPCClientError;
}

/** True when the server no longer accepts our session (expired, signed out elsewhere, user disabled). */
export function isUnauthorized(e: unknown): boolean {
  return isApiError(e) && e.data?.code === 'UNAUTHORIZED';
}

export interface FieldError {
  path: string;
  message: string;
}

/** The server's per-field messages (zod issues or an AppError's issues), empty when it sent none. */
export function fieldErrorsOf(e: unknown): FieldError[] {
  return isApiError(e) ? (e.data?.fieldErrors ?? []) : [];
}

/** A message fit for people: the server's own (domain errors carry user-facing ones), or a plain one offline. */
export function messageOf(e: unknown): string {
  if (isApiError(e) && !e.data) return 'Cannot reach the Signoff server. Check your connection and try again.';
  return e instanceof Error ? e.message : String(e);
}
