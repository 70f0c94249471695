import type { VerdictInput } from '@signoff/core/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { useFlash } from './flash';
import { useQueueCountShift } from './queue-counts';
import { navigate, paths } from './router';
import { type TaskView, useTRPC } from './trpc';
import { readAutoNext, readClaimScope, rememberClaimScope } from './work-settings';

/**
 * Claims the next task and opens it: in `queue`, or in the queue the reviewer works through, or any
 * of theirs. The claim answers with the whole task view, so opening it needs no second request.
 * Optimistic: the queue's pending count drops by one at once, and comes back if the claim fails.
 */
export function useClaimNext(options: { onEmpty?: (message: string) => void } = {}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const shift = useQueueCountShift();
  const flash = useFlash();
  // What just happened, said with the outcome. Read by the mutation's own callbacks, which run
  // even when the screen that asked has gone (a task taken away unmounts its screen).
  const note = useRef<{ done?: string | undefined; onEmpty?: ((message: string) => void) | undefined }>({});
  const mutation = useMutation(
    trpc.tasks.claimNext.mutationOptions({
      onMutate: (input) => ({
        rollback: input.queue ? shift([{ queue: input.queue, pending: -1, claimed: 1 }]) : null,
        ...note.current,
      }),
      onError: (_e, _input, context) => context?.rollback?.(),
      onSuccess: (task, input, context) => {
        const prefix = context?.done ? `${context.done} ` : '';
        if (!task) {
          context?.rollback?.();
          const empty = `${prefix}No tasks waiting${input.queue ? ` in ${input.queue}` : ''} right now.`;
          if (context?.onEmpty) context.onEmpty(empty);
          else flash(empty, 'info');
          return;
        }
        if (!input.queue) shift([{ queue: task.queue, pending: -1, claimed: 1 }]);
        queryClient.setQueryData(trpc.tasks.get.queryKey({ taskId: task.id }), task);
        if (context?.done) flash(`${prefix}Next task opened.`);
        navigate(paths.task(task.id));
      },
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.tasks.queues.queryKey() }),
    }),
  );
  /**
   * Claims and opens the next task: in `queue`, in any of the reviewer's queues (`null`), or where
   * they were working (`undefined`). `done` is what just happened, said together with the outcome.
   */
  const claimNext = (queue?: string | null, done?: string) => {
    if (mutation.isPending) return;
    const scope = queue === undefined ? readClaimScope() : (queue ?? undefined);
    rememberClaimScope(scope);
    note.current = { done, onEmpty: options.onEmpty };
    mutation.mutate(scope ? { queue: scope } : {});
  };
  return { claimNext, claim: mutation };
}

/**
 * What a reviewer does with the task they hold: a verdict, skip, release, escalation. Each one
 * updates the screens at once (the task reads as done, the queue's claimed count drops, or a
 * released task is pending again) and rolls that back if the server refuses. After a verdict, a
 * skip or an escalation the next task opens, unless the reviewer turned that off; a release goes
 * back to the queue.
 */
export function useTaskWork(task: TaskView) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flash = useFlash();
  const shift = useQueueCountShift();
  const taskKey = trpc.tasks.get.queryKey({ taskId: task.id });
  const backToQueue = (message: string) => {
    flash(message);
    navigate(paths.home());
  };
  const { claimNext, claim } = useClaimNext({ onEmpty: backToQueue });
  const moveOn = (message: string) => {
    if (readAutoNext()) claimNext(undefined, message);
    else backToQueue(message);
  };

  // The task reads as answered (or given back) at once; the server's answer or refusal settles it.
  const optimistic = (status: TaskView['status'], counts: { pending?: number; claimed?: number }) => {
    void queryClient.cancelQueries({ queryKey: taskKey });
    const before = queryClient.getQueryData(taskKey);
    if (before) queryClient.setQueryData(taskKey, { ...before, status });
    const rollbackCounts = shift([{ queue: task.queue, ...counts }]);
    return {
      rollback: () => {
        if (before) queryClient.setQueryData(taskKey, before);
        rollbackCounts();
      },
    };
  };
  // The task is not re-read on success: once skipped, released or escalated it is no longer the
  // reviewer's to read, and the screen is about to move on anyway.
  const settled = () => queryClient.invalidateQueries({ queryKey: trpc.tasks.queues.queryKey() });
  const refused = (context: { rollback: () => void } | undefined) => {
    context?.rollback();
    void queryClient.invalidateQueries({ queryKey: taskKey });
  };

  const submit = useMutation(
    trpc.tasks.submit.mutationOptions({
      onMutate: () => optimistic('done', { claimed: -1 }),
      onError: (_e, _v, context) => refused(context),
      onSettled: settled,
    }),
  );
  const release = useMutation(
    trpc.tasks.release.mutationOptions({
      onMutate: () => optimistic('pending', { claimed: -1, pending: 1 }),
      onError: (_e, _v, context) => refused(context),
      onSettled: settled,
    }),
  );
  const skip = useMutation(
    trpc.tasks.skip.mutationOptions({
      onMutate: () => optimistic('pending', { claimed: -1, pending: 1 }),
      onError: (_e, _v, context) => refused(context),
      onSettled: settled,
    }),
  );
  const escalate = useMutation(
    trpc.tasks.escalate.mutationOptions({
      // It waits in its escalation queue now, for someone with more authority.
      onMutate: () => optimistic('pending', { claimed: -1 }),
      onError: (_e, _v, context) => refused(context),
      onSettled: settled,
    }),
  );

  return {
    claim,
    submit,
    release,
    skip,
    escalate,
    busy: submit.isPending || release.isPending || skip.isPending || escalate.isPending || claim.isPending,
    claimNext: () => claimNext(),
    sendVerdict: (input: VerdictInput, message: string) =>
      submit.mutate(input, { onSuccess: (r) => moveOn(awaitingNote(message, r)) }),
    doRelease: () =>
      release.mutate({ taskId: task.id }, { onSuccess: () => backToQueue('Task released. It is back in the queue.') }),
    doSkip: () =>
      skip.mutate({ taskId: task.id }, { onSuccess: () => moveOn('Task skipped; it goes to someone else.') }),
    doEscalate: (reason: string) =>
      escalate.mutate(
        { taskId: task.id, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        { onSuccess: (r) => moveOn(`Task escalated to ${r.queue}.`) },
      ),
  };
}

/**
 * A four-eyes verdict says what happens next without saying what anyone else answered (not even
 * whether the reviews differed: that is the lead's to read).
 */
function awaitingNote(message: string, r: { awaitingVerdicts?: number }): string {
  if (r.awaitingVerdicts)
    return `${message} Waiting for ${r.awaitingVerdicts} more independent review${r.awaitingVerdicts === 1 ? '' : 's'}.`;
  return message;
}
