import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useCallback, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { FlashProvider } from './flash';
import { navigate } from './router';
import { csrfToken, expireSession, readStoredSession, SessionProvider, type SignOutReason } from './session';
import { createApiClient, isApiError, isUnauthorized, TRPCProvider } from './trpc';
import './styles.css';

function onApiError(error: unknown) {
  // A rejected token means the session is over, whatever screen we are on: back to the login form.
  if (isUnauthorized(error) && readStoredSession()) expireSession('Your session has ended. Please sign in again.');
}

function Root() {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: onApiError }),
        mutationCache: new MutationCache({ onError: onApiError }),
        defaultOptions: {
          queries: {
            staleTime: 2_000,
            // Retrying a refusal (4xx) only delays the message; retry network trouble and 5xx.
            retry: (count, error) => count < 2 && !(isApiError(error) && (error.data?.httpStatus ?? 500) < 500),
          },
        },
      }),
  );
  const [trpcClient] = useState(() => createApiClient(csrfToken));
  const onSignOut = useCallback(
    (reason: SignOutReason) => {
      queryClient.clear();
      if (reason === 'user') navigate('/', { replace: true });
    },
    [queryClient],
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <SessionProvider onSignOut={onSignOut}>
          <FlashProvider>
            <App />
          </FlashProvider>
        </SessionProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
