import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatAge, formatDue, shortId } from './format';
import { LEAD_REFRESH_MS, useRefreshLeadViews } from './lead-parts';
import type { LeadQueue } from './lead-screen';
import { Link, navigate, paths } from './router';
import { useUser } from './session';
import { messageOf, useTRPC } from './trpc';

/**
 * Adjudications waiting in the lead's queues: reviewers disagreed and a lead settles it. Taking
 * one hands it to the lead (through the same reassignment, audited) and opens it.
 */
export function AdjudicationsPanel({ queues }: { queues: LeadQueue[] }) {
  const trpc = useTRPC();
  const me = useUser();
  const refresh = useRefreshLeadViews();
  const [error, setError] = useState<string | null>(null);
  const waiting = queues.filter((q) => q.adjudications > 0);
  const lists = useQueries({
    queries: waiting.map((q) => ({
      ...trpc.leads.tasks.queryOptions({ queue: q.queue, kind: 'adjudication' }),
      refetchInterval: LEAD_REFRESH_MS,
    })),
  });
  const rows = lists.flatMap((l) => l.data ?? []);
  const take = useMutation(
    trpc.leads.reassign.mutationOptions({
      onSuccess: (_r, v) => {
        refresh();
        navigate(paths.task(v.taskId));
      },
      onError: (e) => setError(messageOf(e)),
    }),
  );
  const open = (taskId: string, heldByMe: boolean) => {
    setError(null);
    if (heldByMe) navigate(paths.task(taskId));
    else take.mutate({ taskId, userId: me.id });
  };

  return (
    <section className="panel" aria-labelledby="lead-adjudications-heading">
      <div className="panel-header">
        <h2 id="lead-adjudications-heading">Adjudications waiting</h2>
        <span className="muted small">Reviewers disagreed: your answer is final.</span>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {waiting.length === 0 ? (
        <p className="empty">No disagreements to settle.</p>
      ) : rows.length === 0 ? (
        <p className="loading">Loading…</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Adjudications waiting for a lead</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Queue</th>
              <th scope="col">Held by</th>
              <th scope="col" className="num">
                Waiting
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => {
              const name = `${t.workflow} · ${t.state} · ${shortId(t.itemId)}`;
              const mine = t.status === 'claimed' && t.assigneeId === me.id && !t.leaseExpired;
              return (
                <tr key={t.id} className="row-late">
                  <th scope="row">
                    <Link href={paths.timeline(t.itemId)}>{name}</Link>
                  </th>
                  <td className="queue-name">{t.queue}</td>
                  <td>{t.status === 'claimed' ? t.assigneeName : <span className="muted">nobody</span>}</td>
                  <td className="num">{formatAge(t.createdAt)}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="button button-primary button-small"
                      disabled={take.isPending}
                      aria-label={`Adjudicate ${name}`}
                      onClick={() => open(t.id, mine)}
                    >
                      {mine ? 'Open' : 'Take and open'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Open tasks past their due time, or moved by the escalation sweep out of the lead's queues. */
export function EscalationsPanel() {
  const trpc = useTRPC();
  const escalations = useQuery({ ...trpc.leads.escalations.queryOptions({}), refetchInterval: LEAD_REFRESH_MS });
  const rows = escalations.data ?? [];
  return (
    <section className="panel" aria-labelledby="lead-escalations-heading">
      <div className="panel-header">
        <h2 id="lead-escalations-heading">Overdue and escalated</h2>
        <span className="muted small">Past their due time, or moved to their escalation queue.</span>
      </div>
      {escalations.isPending ? (
        <p className="loading">Loading…</p>
      ) : escalations.isError ? (
        <p className="form-error" role="alert">
          {messageOf(escalations.error)}
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">Nothing overdue: every task is within its due time.</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Overdue and escalated tasks</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Queue</th>
              <th scope="col">Held by</th>
              <th scope="col">Due</th>
              <th scope="col">Escalated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => {
              const due = t.dueAt ? formatDue(t.dueAt) : null;
              return (
                <tr key={t.id} className="row-late">
                  <th scope="row">
                    <Link href={paths.timeline(t.itemId)}>{`${t.workflow} · ${t.state} · ${shortId(t.itemId)}`}</Link>
                  </th>
                  <td className="queue-name">{t.fromQueue ? `${t.fromQueue} → ${t.queue}` : t.queue}</td>
                  <td>{t.assigneeName ?? <span className="muted">nobody</span>}</td>
                  <td className={due?.overdue ? 'text-warn strong' : undefined}>{due ? due.text : '–'}</td>
                  <td>{t.escalatedAt ? `${formatAge(t.escalatedAt)} ago` : '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
