import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { formatTime } from './format';
import { messageOf, type TaskView, useTRPC } from './trpc';

/** How often an open task renews its lease; the lease itself lasts minutes (LEASE_MINUTES on the server). */
export const HEARTBEAT_MS = 60_000;

/**
 * Keeps the task's lease alive while its holder has it open: a heartbeat every `HEARTBEAT_MS`
 * (browsers slow timers in background tabs to about once a minute, which still beats a lease of
 * minutes). The renewed expiry goes into the task view's cache. A refused heartbeat means the task
 * is no longer theirs (lease expired and taken, reassigned): returned as `lost`, and it stops.
 */
export function useHeartbeat(task: TaskView, holding: boolean): { lost: string | null } {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [lost, setLost] = useState<string | null>(null);
  const beat = useMutation(
    trpc.tasks.heartbeat.mutationOptions({
      onSuccess: (r) => {
        const key = trpc.tasks.get.queryKey({ taskId: task.id });
        const view = queryClient.getQueryData(key);
        if (view) queryClient.setQueryData(key, { ...view, lease_expires_at: r.leaseExpiresAt });
      },
      onError: (e) => setLost(messageOf(e)),
    }),
  );
  const { mutate } = beat;
  useEffect(() => {
    if (!holding || lost) return;
    const timer = setInterval(() => mutate({ taskId: task.id }), HEARTBEAT_MS);
    return () => clearInterval(timer);
  }, [holding, lost, mutate, task.id]);
  return { lost };
}

/** The lease as its holder reads it: until when the task is theirs, and that it renews itself. */
export function LeaseStatus({ expiresAt, lost }: { expiresAt: string | null; lost: string | null }) {
  if (lost)
    return (
      <div className="form-error" role="alert">
        You no longer hold this task: {lost}
      </div>
    );
  if (!expiresAt) return null;
  return (
    <div className="lease">
      <span className="lease-dot" aria-hidden="true" />
      Yours until <time dateTime={expiresAt}>{formatTime(expiresAt)}</time>
      <span className="muted small"> · renewed while this page is open</span>
    </div>
  );
}
