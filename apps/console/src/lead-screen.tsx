import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Message } from './app';
import { formatAge } from './format';
import { AdjudicationsPanel, EscalationsPanel } from './lead-escalations';
import { LEAD_REFRESH_MS } from './lead-parts';
import { ProgressPanel } from './lead-progress';
import { QueueTasks } from './lead-tasks';
import './trust.css';
import './lead.css';
import { messageOf, type Outputs, useTRPC } from './trpc';

export type LeadQueue = Outputs['leads']['queues'][number];

/**
 * What a lead runs: their queues' open work (live), the tasks of one queue with who holds each and
 * a control to hand one to someone else, what is overdue or escalated, the adjudications waiting,
 * and each reviewer's progress.
 */
export function LeadScreen() {
  const trpc = useTRPC();
  const queues = useQuery({ ...trpc.leads.queues.queryOptions(), refetchInterval: LEAD_REFRESH_MS });
  const [picked, setPicked] = useState<string | null>(null);
  const rows = queues.data ?? [];
  const selected = picked ?? rows.find((r) => r.pending + r.claimed + r.expired > 0)?.queue ?? rows[0]?.queue ?? null;

  if (queues.isError && !queues.data)
    return <Message title="Cannot load your queues">{messageOf(queues.error)}</Message>;

  const totals = rows.reduce(
    (t, r) => ({
      pending: t.pending + r.pending,
      claimed: t.claimed + r.claimed,
      overdue: t.overdue + r.overdue,
      escalated: t.escalated + r.escalated,
      adjudications: t.adjudications + r.adjudications,
    }),
    { pending: 0, claimed: 0, overdue: 0, escalated: 0, adjudications: 0 },
  );

  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Lead overview</h1>
          <p className="muted">
            The queues you lead: who holds what, what is late, what waits for you, and how each reviewer is doing.
          </p>
        </div>
      </div>

      <section className="stats lead-stats" aria-label="Totals of your queues">
        <Figure label="Pending" value={totals.pending} loading={queues.isPending} />
        <Figure label="Claimed" value={totals.claimed} loading={queues.isPending} />
        <Figure label="Overdue" value={totals.overdue} loading={queues.isPending} warn />
        <Figure label="Escalated" value={totals.escalated} loading={queues.isPending} warn />
        <Figure label="Adjudications waiting" value={totals.adjudications} loading={queues.isPending} warn />
      </section>

      <section className="panel" aria-labelledby="lead-queues-heading">
        <div className="panel-header">
          <h2 id="lead-queues-heading">Your queues</h2>
          <span className="muted small">
            {queues.isFetching ? 'Refreshing…' : `Updates every ${LEAD_REFRESH_MS / 1000} s`}
          </span>
        </div>
        {queues.isPending ? (
          <p className="loading">Loading queues…</p>
        ) : rows.length === 0 ? (
          <div className="empty">
            <p className="empty-title">You lead no queue yet</p>
            <p className="muted">An admin makes you a member of the queues you run.</p>
          </div>
        ) : (
          <QueuesTable rows={rows} selected={selected} onSelect={setPicked} />
        )}
      </section>

      {selected && <QueueTasks key={selected} queue={selected} />}
      <AdjudicationsPanel queues={rows} />
      <EscalationsPanel />
      <ProgressPanel queues={rows.map((r) => r.queue)} />
    </div>
  );
}

function QueuesTable({
  rows,
  selected,
  onSelect,
}: {
  rows: LeadQueue[];
  selected: string | null;
  onSelect: (queue: string) => void;
}) {
  return (
    <table className="table">
      <caption className="visually-hidden">Open work per queue</caption>
      <thead>
        <tr>
          <th scope="col">Queue</th>
          <th scope="col" className="num">
            Pending
          </th>
          <th scope="col" className="num">
            Claimed
          </th>
          <th scope="col" className="num">
            Lease expired
          </th>
          <th scope="col" className="num">
            Overdue
          </th>
          <th scope="col" className="num">
            Escalated
          </th>
          <th scope="col" className="num">
            Adjudications
          </th>
          <th scope="col" className="num">
            Oldest
          </th>
          <th scope="col" className="num">
            Members
          </th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.queue} className={r.queue === selected ? 'row-selected' : undefined}>
            <th scope="row" className="queue-name">
              {r.queue}
            </th>
            <td className="num strong">{r.pending}</td>
            <td className="num">{r.claimed}</td>
            <td className="num">{r.expired}</td>
            <td className={`num ${r.overdue ? 'text-warn strong' : ''}`}>{r.overdue}</td>
            <td className={`num ${r.escalated ? 'text-warn strong' : ''}`}>{r.escalated}</td>
            <td className={`num ${r.adjudications ? 'text-warn strong' : ''}`}>{r.adjudications}</td>
            <td className="num">{r.oldest ? formatAge(r.oldest) : '–'}</td>
            <td className="num">{r.members}</td>
            <td className="actions">
              <button
                type="button"
                className="button button-secondary button-small"
                aria-pressed={r.queue === selected}
                aria-label={`Show the tasks of ${r.queue}`}
                onClick={() => onSelect(r.queue)}
              >
                Tasks
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Figure({ label, value, loading, warn }: { label: string; value: number; loading: boolean; warn?: boolean }) {
  const id = `lead-stat-${label.toLowerCase().replace(/\s+/g, '-')}`;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a read-only figure, not a set of form controls (fieldset)
    <div className={`stat ${warn && value > 0 ? 'stat-warn' : ''}`} role="group" aria-labelledby={id}>
      <span className="stat-label" id={id}>
        {label}
      </span>
      <strong className="stat-value">{loading ? '…' : value}</strong>
    </div>
  );
}
