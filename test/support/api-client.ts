import type { AppRouter } from '@signoff/api';
import { createTRPCClient, httpLink } from '@trpc/client';

/** A tRPC client over HTTP, as a program uses the API: the session token as a bearer token. */
export function apiClient(url: string, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

/**
 * Signs in through `auth.login` with a bearer session and returns a client acting as that user.
 *
 * @example
 * const reviewer = await signInApi(s.url, 'reviewer@demo.signoff', DEMO_PASSWORD);
 * await reviewer.tasks.claimNext.mutate({});
 */
export async function signInApi(url: string, email: string, password: string) {
  const { token } = await apiClient(url).auth.login.mutate({ email, password, session: 'bearer' });
  return apiClient(url, token);
}

export type ApiClient = ReturnType<typeof apiClient>;
