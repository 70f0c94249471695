import { useQuery } from '@tanstack/react-query';
import { Message } from './app';
import { formatDateTime, formatPercent, shortId } from './format';
import { ItemInput, JsonBlock, KeyValues } from './item-input';
import { PiiScope, pointer } from './pii-reveal';
import { Link, paths } from './router';
import { useCan } from './session';
import { StatusBadge } from './status-badge';
import { messageOf, type TimelineEvent, useTRPC } from './trpc';

const ACTION_TITLES: Record<string, string> = {
  'item.submitted': 'Item submitted',
  'decision.made': 'AI decision',
  'review.requested': 'Review requested',
  'task.claimed': 'Task claimed',
  'task.released': 'Task released',
  'review.submitted': 'Verdict submitted',
  'state.completed': 'Step completed',
  'item.finished': 'Item finished',
  'item.failed': 'Item failed',
  'item.purged': 'Payloads purged (retention)',
};

const PAYLOAD_NAMES: Record<string, string> = {
  inputHash: 'Input',
  outputHash: 'Output',
  payloadHash: 'Event payload',
  reasonHash: 'Reason',
  checkerHash: 'Checker answer',
  toolCallsHash: 'Tool calls',
};

const PAYLOAD_STATUS: Record<EventPayload['status'], string> = {
  matches: 'matches the digest in the event',
  purged: 'purged by retention; the event keeps its digest',
  differs: 'does not match the digest in the event',
};

type EventPayload = TimelineEvent['payloads'][number];

/** An item's audit trail in order: who or what did what, when, with which model and confidence. */
export function TimelineScreen({ itemId }: { itemId: string }) {
  const trpc = useTRPC();
  const canAudit = useCan('audit:read');
  const item = useQuery(trpc.items.get.queryOptions({ itemId }));
  const events = useQuery(trpc.items.timeline.queryOptions({ itemId }));
  const verification = useQuery({ ...trpc.audit.verifyItem.queryOptions({ itemId }), enabled: canAudit });

  if (item.isError) return <Message title="Cannot open this item">{messageOf(item.error)}</Message>;
  if (item.isPending) return <p className="loading">Loading item…</p>;
  const i = item.data;

  return (
    <div className="screen">
      <div className="task-header">
        <div>
          <button type="button" className="back-link link-button" onClick={() => window.history.back()}>
            ← Back
          </button>
          <h1>
            Item <span className="mono">{shortId(i.id)}</span> <StatusBadge status={i.status} />
          </h1>
          <dl className="inline-meta">
            <div>
              <dt>Workflow</dt>
              <dd>
                {i.workflow_name} v{i.workflow_version}
              </dd>
            </div>
            <div>
              <dt>Current step</dt>
              <dd>{i.current_state}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatDateTime(i.created_at)}</dd>
            </div>
            {i.finished_at && (
              <div>
                <dt>Finished</dt>
                <dd>{formatDateTime(i.finished_at)}</dd>
              </div>
            )}
            {i.purged_at && (
              <div>
                <dt>Payloads purged</dt>
                <dd>{formatDateTime(i.purged_at)}</dd>
              </div>
            )}
          </dl>
        </div>
        {canAudit && (
          <Link href={paths.trail(i.id)} className="button button-secondary">
            Decision trail and report
          </Link>
        )}
      </div>

      <div className="task-grid">
        <section className="panel task-main" aria-labelledby="timeline-heading">
          <div className="panel-header">
            <h2 id="timeline-heading">Audit timeline</h2>
            {canAudit && verification.data && (
              <span className={verification.data.ok ? 'verified' : 'text-danger strong'} role="status">
                {verification.data.ok
                  ? `✓ Hash chain intact (${verification.data.checked} events)`
                  : `Trail altered at event ${verification.data.broken?.seq}: ${verification.data.broken?.reason}`}
              </span>
            )}
          </div>
          {events.isPending ? (
            <p className="loading">Loading events…</p>
          ) : events.isError ? (
            <p className="form-error" role="alert">
              {messageOf(events.error)}
            </p>
          ) : events.data.length === 0 ? (
            <p className="empty">No events recorded.</p>
          ) : (
            <ol className="timeline">
              {events.data.map((e) => (
                <TimelineEntry key={e.seq} event={e} />
              ))}
            </ol>
          )}
        </section>
        <aside className="task-side">
          <section className="panel" aria-labelledby="input-heading">
            <h2 id="input-heading">Input</h2>
            <PiiScope itemId={i.id} path="/input">
              <ItemInput input={i.input} />
            </PiiScope>
          </section>
          <ItemContext itemId={i.id} context={i.context} />
          {i.error !== null && i.error !== undefined && (
            <section className="panel" aria-labelledby="error-heading">
              <h2 id="error-heading" className="text-danger">
                Error
              </h2>
              <JsonBlock value={i.error} />
            </section>
          )}
          <p className="muted small">
            Workflow hash <span className="mono">{i.workflow_hash.slice(0, 16)}</span>
            <br />
            Item id <span className="mono">{i.id}</span>
          </p>
          <Link href={paths.items()} className="small">
            All items
          </Link>
        </aside>
      </div>
    </div>
  );
}

/** What the item's steps gathered (its context), one step at a time. */
function ItemContext({ itemId, context }: { itemId: string; context: unknown }) {
  const steps = context && typeof context === 'object' ? Object.entries(context as Record<string, unknown>) : [];
  if (steps.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="item-context-heading">
      <h2 id="item-context-heading">Gathered by its steps</h2>
      <div className="context-steps">
        {steps.map(([state, value]) => (
          <section key={state} className="context-step" aria-label={`Step ${state}`}>
            <h3 className="context-step-name">{state}</h3>
            <PiiScope itemId={itemId} path={pointer('context', state)}>
              <KeyValues value={value} />
            </PiiScope>
          </section>
        ))}
      </div>
    </section>
  );
}

function actorOf(e: TimelineEvent): string {
  if (e.actor_name) return e.actor_name;
  if (e.actor_type === 'system') return 'System';
  if (e.actor_type === 'api_key') return 'API key';
  return e.actor_type;
}

type Data = Record<string, unknown>;

function facts(data: Data, payloads: EventPayload[]): [label: string, value: string][] {
  const out: [string, string][] = [];
  const str = (k: string, label: string) => {
    const v = data[k];
    if (typeof v === 'string' || typeof v === 'number') out.push([label, String(v)]);
  };
  str('state', 'State');
  str('next', 'Next');
  str('queue', 'Queue');
  str('status', 'Status');
  str('verdict', 'Verdict');
  str('label', 'Label');
  str('aiLabel', 'AI label');
  str('humanLabel', 'Human label');
  if (data.override === true) out.push(['Override', 'yes']);
  // A structured decision's events name the fields a person changed (the record stays in its rows).
  if (Array.isArray(data.changedFields))
    out.push(['Changed fields', data.changedFields.length > 0 ? data.changedFields.join(', ') : 'none']);
  const fieldConfidence = data.fieldConfidence;
  if (fieldConfidence && typeof fieldConfidence === 'object') {
    const low = Object.entries(fieldConfidence as Record<string, { confidence?: unknown }>)
      .filter(([, f]) => typeof f?.confidence === 'number')
      .sort(([, a], [, b]) => (a.confidence as number) - (b.confidence as number))
      .slice(0, 3)
      .map(([k, f]) => `${k} ${formatPercent(f.confidence as number)}`);
    if (low.length > 0) out.push(['Least sure fields', low.join(', ')]);
  }
  if (typeof data.confidence === 'number') out.push(['Confidence', formatPercent(data.confidence)]);
  str('route', 'Route');
  str('model', 'Model');
  str('modelVersion', 'Model version');
  str('promptVersion', 'Prompt version');
  // Events before 0029 carry the reason; later ones its digest, the text in the review's table.
  str('reason', 'Reason');
  const reason = payloads.find((p) => p.field === 'reasonHash' && p.status === 'matches')?.value;
  if (typeof reason === 'string') out.push(['Reason', reason]);
  if (data.leaseExpired === true) out.push(['Lease', 'had expired']);
  const output = data.output;
  if (output && typeof output === 'object' && 'label' in output && typeof output.label === 'string')
    out.push(['Output label', output.label]);
  const error = data.error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string')
    out.push(['Error', error.message]);
  return out;
}

function TimelineEntry({ event }: { event: TimelineEvent }) {
  const data: Data = event.data && typeof event.data === 'object' ? (event.data as Data) : {};
  const reasons = Array.isArray(data.reasons)
    ? data.reasons.filter((r): r is { message: string } => typeof r === 'object' && r !== null && 'message' in r)
    : [];
  const tone = event.action.startsWith('review.submitted')
    ? 'human'
    : event.action.startsWith('decision')
      ? 'ai'
      : event.action === 'item.failed'
        ? 'error'
        : 'system';
  return (
    <li className={`timeline-entry timeline-${tone}`}>
      <div className="timeline-dot" aria-hidden="true" />
      <div className="timeline-body">
        <div className="timeline-head">
          <h3>{ACTION_TITLES[event.action] ?? event.action}</h3>
          <code className="action-code">{event.action}</code>
          <span className="timeline-actor">{actorOf(event)}</span>
          <time dateTime={String(event.created_at)} className="muted small">
            {formatDateTime(event.created_at)}
          </time>
        </div>
        {facts(data, event.payloads).length > 0 && (
          <dl className="facts">
            {facts(data, event.payloads).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        )}
        {reasons.length > 0 && (
          <ul className="reasons reasons-compact">
            {reasons.map((r) => (
              <li key={r.message}>{r.message}</li>
            ))}
          </ul>
        )}
        <details className="details event-data">
          <summary>
            Event #{event.seq} · hash <span className="mono">{event.hash.slice(0, 12)}</span>
          </summary>
          <JsonBlock value={event.data} />
          {event.payloads.map((p) => (
            <div key={p.field} className="event-payload">
              <p className="small">
                <strong>{PAYLOAD_NAMES[p.field] ?? p.field}</strong> (from its table):{' '}
                <span className={p.status === 'differs' ? 'text-danger strong' : 'muted'}>
                  {PAYLOAD_STATUS[p.status]}
                </span>
              </p>
              <JsonBlock value={p.value} />
            </div>
          ))}
        </details>
      </div>
    </li>
  );
}
