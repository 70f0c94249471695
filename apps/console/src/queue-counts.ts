import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { type QueueRow, useTRPC } from './trpc';

/** How often the queue counts refresh while the tab is visible (never while it is hidden). */
export const QUEUE_REFRESH_MS = 4_000;

/** The caller's queues with live counts: polled while the tab is visible, paused while it is hidden. */
export function useQueueCounts(options: { enabled?: boolean } = {}) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.tasks.queues.queryOptions(),
    enabled: options.enabled ?? true,
    refetchInterval: QUEUE_REFRESH_MS,
    refetchIntervalInBackground: false,
  });
}

export interface CountShift {
  queue: string;
  pending?: number;
  claimed?: number;
}

/**
 * Shifts the cached queue counts at once (optimistic: a claim moves a task from pending to
 * claimed, a verdict takes one off claimed) and returns the rollback for when the server refuses.
 * The next poll, or the invalidation after the mutation settles, brings the server's figures.
 */
export function useQueueCountShift(): (shifts: CountShift[]) => () => void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(
    (shifts: CountShift[]) => {
      const key = trpc.tasks.queues.queryKey();
      void queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData(key);
      queryClient.setQueryData(key, (rows: QueueRow[] | undefined) =>
        rows?.map((r) => {
          const s = shifts.find((x) => x.queue === r.queue);
          if (!s) return r;
          return {
            ...r,
            pending: Math.max(0, r.pending + (s.pending ?? 0)),
            claimed: Math.max(0, r.claimed + (s.claimed ?? 0)),
          };
        }),
      );
      return () => queryClient.setQueryData(key, before);
    },
    [trpc, queryClient],
  );
}
