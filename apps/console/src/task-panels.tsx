// The task view's reading panels: what earlier steps gathered, the item's history, the trust
// policy in force for the step, and (for a lead's adjudication) the verdicts to settle.
import { fieldChanges, parseStructuredLabel } from '@signoff/core/structured';
import { formatDateTime, formatRate, formatThreshold, formatTime, humanize } from './format';
import { KeyValues } from './item-input';
import { PiiScope, pointer } from './pii-reveal';
import { shownValue } from './structured-fields';
import type { TaskView } from './trpc';

const EVENT_TITLES: Record<string, string> = {
  'item.submitted': 'Item submitted',
  'state.completed': 'Step completed',
  'decision.made': 'AI decision',
  'review.requested': 'Review requested',
  'task.claimed': 'Task claimed',
  'task.released': 'Task released',
  'task.skipped': 'Task skipped',
  'task.escalated': 'Task escalated',
  'task.reassigned': 'Task reassigned',
  'review.submitted': 'Verdict submitted',
  'review.agreed': 'Reviewers agreed',
  'review.disagreement': 'Reviewers disagreed',
  'review.adjudicated': 'Adjudicated',
  'wait.started': 'Waiting for an event',
  'event.received': 'Event received',
  'timer.started': 'Timer started',
};

/** The outputs of the steps before this one, in the order they ran (the item's context). */
export function ContextPanel({ task }: { task: TaskView }) {
  const context = (task.context ?? {}) as Record<string, unknown>;
  const order = [...new Set(task.history.runs.map((r) => r.state))];
  const states = [...order.filter((s) => s in context), ...Object.keys(context).filter((s) => !order.includes(s))];
  if (states.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="context-heading">
      <h2 id="context-heading">Gathered by earlier steps</h2>
      <div className="context-steps">
        {states.map((s) => (
          <section key={s} className="context-step" aria-label={`Step ${s}`}>
            <h3 className="context-step-name">{s}</h3>
            <PiiScope itemId={task.item_id} path={pointer('context', s)}>
              <KeyValues value={context[s]} />
            </PiiScope>
          </section>
        ))}
      </div>
    </section>
  );
}

/**
 * The item's trail up to now: who or what did what, when. For one of several independent reviews
 * the server leaves out the other reviewers' work on this step, so nothing here can sway you.
 */
export function HistoryPanel({ task }: { task: TaskView }) {
  const events = task.history.events;
  return (
    <section className="panel" aria-labelledby="history-heading">
      <details className="details">
        <summary>
          <h2 id="history-heading">Item history ({events.length})</h2>
        </summary>
        <ol className="history">
          {events.map((e) => (
            <li key={e.seq}>
              <time className="muted small" dateTime={String(e.created_at)}>
                {formatTime(e.created_at)}
              </time>
              <span className="strong">{EVENT_TITLES[e.action] ?? humanize(e.action)}</span>
              {typeof e.data.state === 'string' && <span className="muted">at {e.data.state}</span>}
              <span className="muted small">
                {e.actor_type === 'user'
                  ? (e.actor_name ?? 'a person')
                  : e.actor_type === 'system'
                    ? 'Signoff'
                    : 'API key'}
              </span>
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}

/** The step's trust policy in force, its certificate, and where this decision stood against it. */
export function TrustPanel({ task }: { task: TaskView }) {
  const trust = task.trust;
  const d = task.decision;
  if (!trust && !d) return null;
  const cert = trust?.certificate ?? null;
  return (
    <section className="panel trust-panel" aria-labelledby="trust-heading">
      <h2 id="trust-heading">Certificate in force</h2>
      {!trust ? (
        <p className="muted">This step has no certified auto-accept: a fixed threshold routes its decisions.</p>
      ) : trust.status === 'certified' && cert ? (
        <>
          <p>
            Auto-accepts scores at or above <strong>{formatThreshold(cert.threshold)}</strong> of {cert.modelVersion}:
            at most {formatRate(trust.maxError)} wrong with {formatRate(trust.confidence)} confidence.
          </p>
          <dl className="model-facts">
            <div>
              <dt>Certified on</dt>
              <dd>
                {cert.labelsUsed} fair labels ({cert.wrongUsed} wrong)
              </dd>
            </div>
            <div>
              <dt>Error bound</dt>
              <dd>{formatRate(cert.upperBound)}</dd>
            </div>
            <div>
              <dt>Issued</dt>
              <dd>{formatDateTime(cert.createdAt)}</dd>
            </div>
            <div>
              <dt>Policy version</dt>
              <dd>{trust.policyVersion}</dd>
            </div>
          </dl>
        </>
      ) : trust.status === 'paused' ? (
        <p className="text-warn">Auto-accept is paused: every decision of this step goes to a person. {trust.reason}</p>
      ) : (
        <p className="muted">
          Not certified yet (target: at most {formatRate(trust.maxError)} wrong with {formatRate(trust.confidence)}{' '}
          confidence): every decision of this step goes to a person, and your verdict counts towards a certificate.
        </p>
      )}
      {d && d.score !== null && d.threshold !== null && (
        <p className="muted small">
          This decision scored {formatThreshold(d.score)} against a threshold of {formatThreshold(d.threshold)} (
          {d.route}).
        </p>
      )}
    </section>
  );
}

/** The verdicts a lead settles: who said what, and why. Only an adjudication task carries them. */
export function VerdictsPanel({ task }: { task: TaskView }) {
  if (task.kind !== 'adjudication') return null;
  return (
    <section className="panel" aria-labelledby="verdicts-heading">
      <h2 id="verdicts-heading">The reviewers’ verdicts</h2>
      {task.verdicts.length === 0 ? (
        <p className="muted">No verdicts recorded.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Review</th>
              <th scope="col">Reviewer</th>
              <th scope="col">Label</th>
              <th scope="col">Reason</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {task.verdicts.map((v) => (
              <tr key={v.taskId}>
                <td>{v.slot}</td>
                <th scope="row">{v.reviewerName}</th>
                <td>
                  {task.structured ? (
                    <RecordAgainstAi structured={task.structured} label={v.label} />
                  ) : (
                    <span className="label-chip">{v.label}</span>
                  )}{' '}
                  <span className="muted small">{v.verdict}</span>
                </td>
                <td>{v.reason ?? <span className="muted">–</span>}</td>
                <td className="muted small">{formatTime(v.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A reviewer's record as the fields they changed from the AI's (its canonical JSON says little). */
function RecordAgainstAi({ structured, label }: { structured: NonNullable<TaskView['structured']>; label: string }) {
  const record = parseStructuredLabel(label);
  if (!record || !structured.aiValue) return <span className="label-chip">{label}</span>;
  const changes = fieldChanges(structured.fields, structured.aiValue, record);
  if (changes.length === 0) return <span>The AI’s record, unchanged</span>;
  return (
    <ul className="sf-verdict-changes">
      {changes.map((c) => (
        <li key={c.field}>
          <span className="label-chip">{c.field}</span> {shownValue(c.human)}
        </li>
      ))}
    </ul>
  );
}

/** "Review 2 of 2": which of the step's independent reviews this is, or that it settles them. */
export function reviewOf(task: TaskView): string | null {
  if (task.kind === 'adjudication') return 'Adjudication: your answer is final';
  if (task.reviewers_required > 1) return `Review ${task.slot} of ${task.reviewers_required}`;
  return null;
}
