import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useFlash } from './flash';
import { formatAge, formatDue, humanize, shortId } from './format';
import { LEAD_REFRESH_MS, useRefreshLeadViews } from './lead-parts';
import { Link, paths } from './router';
import { messageOf, type Outputs, useTRPC } from './trpc';

export type LeadTask = Outputs['leads']['tasks'][number];
type Filter = 'all' | 'pending' | 'claimed' | 'overdue';

const FILTERS: { value: Filter; label: string }[] = [
  { value: 'all', label: 'All open' },
  { value: 'pending', label: 'Pending' },
  { value: 'claimed', label: 'Claimed' },
  { value: 'overdue', label: 'Overdue' },
];

/** A queue's open tasks in claim order, who holds each, and a control to hand one to someone else. */
export function QueueTasks({ queue }: { queue: string }) {
  const trpc = useTRPC();
  const [filter, setFilter] = useState<Filter>('all');
  const [open, setOpen] = useState<string | null>(null);
  const tasks = useQuery({
    ...trpc.leads.tasks.queryOptions({ queue, ...(filter === 'all' ? {} : { status: filter }) }),
    refetchInterval: LEAD_REFRESH_MS,
  });
  const filterId = useId();
  const rows = tasks.data ?? [];

  return (
    <section className="panel" aria-labelledby={`${filterId}-title`}>
      <div className="panel-header">
        <h2 id={`${filterId}-title`}>
          Tasks in <span className="queue-name">{queue}</span>
        </h2>
        <div className="field field-inline">
          <label htmlFor={filterId}>Show</label>
          <select id={filterId} value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {tasks.isPending ? (
        <p className="loading">Loading tasks…</p>
      ) : tasks.isError ? (
        <p className="form-error" role="alert">
          {messageOf(tasks.error)}
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">No {filter === 'all' ? 'open' : filter} tasks in this queue.</p>
      ) : (
        <table className="table lead-tasks">
          <caption className="visually-hidden">Open tasks of {queue}, in the order they are handed out</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Kind</th>
              <th scope="col">Held by</th>
              <th scope="col">Due</th>
              <th scope="col" className="num">
                Waiting
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <TaskRow
                key={t.id}
                task={t}
                open={open === t.id}
                onToggle={() => setOpen((o) => (o === t.id ? null : t.id))}
                onDone={() => setOpen(null)}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TaskRow({
  task: t,
  open,
  onToggle,
  onDone,
}: {
  task: LeadTask;
  open: boolean;
  onToggle: () => void;
  onDone: () => void;
}) {
  const due = t.dueAt ? formatDue(t.dueAt) : null;
  const name = `${t.workflow} · ${t.state} · ${shortId(t.itemId)}`;
  return (
    <>
      <tr className={t.overdue || t.escalatedAt ? 'row-late' : undefined}>
        <th scope="row">
          <Link href={paths.timeline(t.itemId)}>{name}</Link>
          {t.escalatedAt && <span className="lead-tag lead-tag-warn">escalated</span>}
        </th>
        <td>
          {humanize(t.kind)}
          {t.reviewersRequired > 1 && (
            <span className="muted small">
              {' '}
              ({t.slot} of {t.reviewersRequired})
            </span>
          )}
        </td>
        <td>
          {t.status === 'claimed' ? (
            <>
              {t.assigneeName}
              {t.leaseExpired && <span className="lead-tag">lease expired</span>}
            </>
          ) : (
            <span className="muted">nobody</span>
          )}
        </td>
        <td className={due?.overdue ? 'text-warn strong' : undefined}>{due ? due.text : '–'}</td>
        <td className="num">{formatAge(t.createdAt)}</td>
        <td className="actions">
          <button
            type="button"
            className="button button-secondary button-small"
            aria-expanded={open}
            aria-label={`Reassign ${name}`}
            onClick={onToggle}
          >
            Reassign
          </button>
        </td>
      </tr>
      {open && (
        <tr className="lead-reassign-row">
          <td colSpan={6}>
            <ReassignForm task={t} label={name} onDone={onDone} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Picks a member of the task's queue (the ineligible ones shown, disabled, with why) and hands it over. */
function ReassignForm({ task, label, onDone }: { task: LeadTask; label: string; onDone: () => void }) {
  const trpc = useTRPC();
  const flash = useFlash();
  const refresh = useRefreshLeadViews();
  const members = useQuery(trpc.leads.members.queryOptions({ queue: task.queue, taskId: task.id }));
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const selectId = useId();
  const reassign = useMutation(
    trpc.leads.reassign.mutationOptions({
      onSuccess: () => {
        const who = members.data?.find((m) => m.userId === userId)?.name ?? 'them';
        flash(`Handed to ${who}: ${label}`);
        refresh();
        onDone();
      },
      onError: (e) => setError(messageOf(e)),
    }),
  );
  const eligible = (members.data ?? []).filter((m) => m.eligible);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!userId) {
      setError('Choose whom to hand the task to');
      return;
    }
    reassign.mutate({ taskId: task.id, userId });
  };

  if (members.isPending) return <p className="muted">Loading the queue's members…</p>;
  if (members.isError)
    return (
      <p className="form-error" role="alert">
        {messageOf(members.error)}
      </p>
    );
  return (
    <form className="lead-reassign" onSubmit={submit} aria-label={`Reassign ${label}`}>
      <div className="field field-inline">
        <label htmlFor={selectId}>Hand to</label>
        <select
          id={selectId}
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          aria-invalid={error ? true : undefined}
        >
          <option value="">{eligible.length ? 'Choose a member…' : 'Nobody in this queue may take it'}</option>
          {(members.data ?? []).map((m) => (
            <option key={m.userId} value={m.userId} disabled={!m.eligible}>
              {m.name}
              {m.eligible ? ` (${m.openClaims} open)` : ` – ${m.reason ?? 'not eligible'}`}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button button-primary button-small" disabled={reassign.isPending}>
        {reassign.isPending ? 'Handing over…' : 'Hand over'}
      </button>
      <button type="button" className="button button-ghost button-small" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
