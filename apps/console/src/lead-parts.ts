import { useQueryClient } from '@tanstack/react-query';
import { useTRPC } from './trpc';

/** How often the lead screen's counts and lists refresh while it is open. */
export const LEAD_REFRESH_MS = 4_000;

/** Refreshes everything the lead screen (and the queue screen) shows, after a change. */
export function useRefreshLeadViews() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.leads.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.tasks.queues.queryKey() });
  };
}
