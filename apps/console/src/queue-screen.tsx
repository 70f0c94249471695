import { Message } from './app';
import { formatAge } from './format';
import { QUEUE_SHORTCUTS, useHotkeys } from './hotkeys';
import { QUEUE_REFRESH_MS, useQueueCounts } from './queue-counts';
import { useCan } from './session';
import { ShortcutHelp } from './shortcut-help';
import { useClaimNext } from './task-work';
import { messageOf } from './trpc';
import { AutoNextToggle } from './work-settings';

export function QueueScreen() {
  const canWork = useCan('task:work');
  // Live counts: polled while the tab is visible, paused while hidden; claims shift them at once.
  const queues = useQueueCounts();
  const { claimNext: claimAndOpen, claim } = useClaimNext();
  // "Claim next task" works through all the reviewer's queues; a row's button through that one.
  const claimNext = (queue?: string) => claimAndOpen(queue ?? null);
  useHotkeys({ n: () => claimNext() }, canWork);
  const error = claim.error ? messageOf(claim.error) : null;

  const rows = queues.data ?? [];
  const totals = rows.reduce(
    (t, r) => ({ pending: t.pending + r.pending, claimed: t.claimed + r.claimed, overdue: t.overdue + r.overdue }),
    { pending: 0, claimed: 0, overdue: 0 },
  );
  const oldest = rows.reduce<string | null>((o, r) => (r.oldest && (!o || r.oldest < o) ? String(r.oldest) : o), null);
  const claimingQueue = claim.isPending ? (claim.variables?.queue ?? '*') : null;

  if (queues.isError && !queues.data)
    return <Message title="Cannot load the queues">{messageOf(queues.error)}</Message>;

  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Review queue</h1>
          <p className="muted">AI decisions that need a person. Claim a task, check it, confirm or correct it.</p>
        </div>
        {canWork && (
          <button
            type="button"
            className="button button-primary button-large"
            onClick={() => claimNext()}
            disabled={claim.isPending || totals.pending + totals.claimed === 0}
            aria-keyshortcuts="n"
          >
            {claimingQueue === '*' ? 'Claiming…' : 'Claim next task'}
            <span className="kbd-group" aria-hidden="true">
              <kbd>N</kbd>
            </span>
          </button>
        )}
      </div>

      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}

      <section className="stats" aria-label="Queue totals">
        <Stat label="Pending" value={totals.pending} loading={queues.isPending} />
        <Stat label="Claimed" value={totals.claimed} loading={queues.isPending} />
        <Stat
          label="Overdue"
          value={totals.overdue}
          loading={queues.isPending}
          tone={totals.overdue ? 'warn' : undefined}
        />
        <Stat label="Oldest task" value={oldest ? formatAge(oldest) : '–'} loading={queues.isPending} />
      </section>

      <section className="panel" aria-labelledby="queues-heading">
        <div className="panel-header">
          <h2 id="queues-heading">Queues</h2>
          <span className="muted small" aria-live="off">
            {queues.isFetching ? 'Refreshing…' : `Updates every ${QUEUE_REFRESH_MS / 1000} s`}
          </span>
        </div>
        {queues.isPending ? (
          <p className="empty">Loading queues…</p>
        ) : rows.length === 0 ? (
          <div className="empty">
            <p className="empty-title">No tasks waiting</p>
            <p className="muted">New tasks appear here as soon as the AI routes a decision to review.</p>
          </div>
        ) : (
          <table className="table">
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
                  Overdue
                </th>
                <th scope="col" className="num">
                  Oldest
                </th>
                {canWork && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.queue}>
                  <th scope="row" className="queue-name">
                    {r.queue}
                  </th>
                  <td className="num strong">{r.pending}</td>
                  <td className="num">{r.claimed}</td>
                  <td className={`num ${r.overdue ? 'text-warn strong' : ''}`}>{r.overdue}</td>
                  <td className="num">{r.oldest ? formatAge(r.oldest) : '–'}</td>
                  {canWork && (
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        onClick={() => claimNext(r.queue)}
                        disabled={claim.isPending || r.pending + r.claimed === 0}
                        aria-label={`Claim from ${r.queue}`}
                      >
                        {claimingQueue === r.queue ? 'Claiming…' : 'Claim'}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {canWork && (
        <div className="task-toolbar">
          <AutoNextToggle />
          <ShortcutHelp shortcuts={QUEUE_SHORTCUTS} title="Queue shortcuts" />
        </div>
      )}
    </div>
  );
}

function Stat({
  label,
  value,
  loading,
  tone,
}: {
  label: string;
  value: number | string;
  loading: boolean;
  tone?: 'warn' | undefined;
}) {
  const id = `stat-${label.toLowerCase().replace(/\s+/g, '-')}`;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a read-only figure, not a set of form controls (fieldset)
    <div className={`stat ${tone === 'warn' ? 'stat-warn' : ''}`} role="group" aria-labelledby={id}>
      <span className="stat-label" id={id}>
        {label}
      </span>
      <strong className="stat-value">{loading ? '…' : value}</strong>
    </div>
  );
}
