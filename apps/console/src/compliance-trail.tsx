import { formatDuration } from '@signoff/core/trail';
import { useQuery } from '@tanstack/react-query';
import { Message } from './app';
import { formatDateTime, formatPercent, shortId } from './format';
import { JsonBlock } from './item-input';
import { Link, paths } from './router';
import { csrfToken } from './session';
import { StatusBadge } from './status-badge';
import { messageOf, type Outputs, useTRPC } from './trpc';
import './compliance-trail.css';

type Trail = Outputs['trail']['get'];
type Decision = Trail['decisions'][number];

/** The download link of a trail file: the session cookie goes with it, the CSRF proof in the query. */
export function trailHref(itemId: string, format: 'pdf' | 'json'): string {
  const q = new URLSearchParams({ format });
  const csrf = csrfToken();
  if (csrf) q.set('csrf', csrf);
  return `/trpc/items/${itemId}/trail?${q.toString()}`;
}

const pct = (x: number | null) => (x === null ? '–' : formatPercent(x));
const num = (x: number | null) => (x === null ? '–' : String(Number(x.toFixed(3))));

/**
 * An item's decision trail for a compliance officer: the verification of its audit chain, its
 * timings, every state run, AI decision (with its tool calls) and human verdict, and the chain's
 * events; downloadable as the PDF report or the JSON.
 */
export function ComplianceTrailScreen({ itemId }: { itemId: string }) {
  const trpc = useTRPC();
  const trail = useQuery(trpc.trail.get.queryOptions({ itemId }));
  if (trail.isError) return <Message title="Cannot open this trail">{messageOf(trail.error)}</Message>;
  if (trail.isPending) return <p className="loading">Loading the decision trail…</p>;
  const t = trail.data;
  const i = t.item;
  return (
    <div className="screen trail-screen">
      <div className="screen-header">
        <div>
          <Link href={paths.timeline(i.id)} className="back-link">
            ← Item timeline
          </Link>
          <h1>
            Decision trail <span className="mono">{shortId(i.id)}</span> <StatusBadge status={i.status} />
          </h1>
          <p className="muted">
            {i.workflow.name} v{i.workflow.version} · submitted {formatDateTime(i.createdAt)}
            {i.finishedAt ? ` · finished ${formatDateTime(i.finishedAt)}` : ''} · item{' '}
            <span className="mono">{i.id}</span>
          </p>
        </div>
        <div className="trail-downloads">
          <a className="button button-primary" href={trailHref(i.id, 'pdf')} download>
            Download PDF report
          </a>
          <a className="button button-secondary" href={trailHref(i.id, 'json')} download>
            Download JSON
          </a>
        </div>
      </div>

      <Verification verification={t.verification} coverage={t.coverage} />

      <section className="stats" aria-label="Timings">
        <Stat label="Time to first decision" value={formatDuration(t.timings.timeToFirstDecisionMs)} />
        <Stat label="Waiting for review" value={formatDuration(t.timings.waitingForReviewMs)} />
        <Stat label={t.timings.finished ? 'Total time' : 'Total so far'} value={formatDuration(t.timings.totalMs)} />
        <Stat label="Decisions / verdicts" value={`${t.decisions.length} / ${t.verdicts.length}`} />
      </section>

      <section className="panel" aria-labelledby="trail-runs">
        <h2 id="trail-runs">State runs</h2>
        <table className="table trail-table">
          <thead>
            <tr>
              <th>State</th>
              <th className="num">Visit</th>
              <th>Kind</th>
              <th>Status</th>
              <th className="num">Attempts</th>
              <th>Started</th>
              <th>Finished</th>
              <th className="num">Duration</th>
              <th>Next</th>
            </tr>
          </thead>
          <tbody>
            {t.stateRuns.map((r) => (
              <tr key={`${r.state}-${r.visit}`}>
                <th scope="row">{r.state}</th>
                <td className="num">{r.visit}</td>
                <td>{r.kind}</td>
                <td>{r.status}</td>
                <td className="num">{r.attempts}</td>
                <td>{formatDateTime(r.startedAt)}</td>
                <td>{r.finishedAt ? formatDateTime(r.finishedAt) : 'waiting'}</td>
                <td className="num">{formatDuration(r.durationMs)}</td>
                <td>{r.nextState ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="trail-section" aria-labelledby="trail-decisions">
        <h2 id="trail-decisions">AI decisions</h2>
        {t.decisions.length === 0 ? (
          <p className="muted">No AI decision was made.</p>
        ) : (
          t.decisions.map((d, n) => <DecisionPanel key={d.id} decision={d} n={n + 1} />)
        )}
      </section>

      <section className="panel" aria-labelledby="trail-verdicts">
        <h2 id="trail-verdicts">Human verdicts</h2>
        {t.verdicts.length === 0 ? (
          <p className="muted">No person reviewed this item.</p>
        ) : (
          <table className="table trail-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Reviewer</th>
                <th>Task</th>
                <th>Verdict</th>
                <th>Outcome</th>
                <th>Reason</th>
                <th className="num">Waited</th>
                <th className="num">Time taken</th>
              </tr>
            </thead>
            <tbody>
              {t.verdicts.map((v) => (
                <tr key={v.reviewId ?? `${v.decisionId}-${v.at}`}>
                  <td>{formatDateTime(v.at)}</td>
                  <td>
                    <span className="strong">{v.reviewer.name}</span>
                    <br />
                    <span className="muted small">{v.reviewer.email}</span>
                  </td>
                  <td>
                    {v.kind} at {v.state}
                    {v.reviewersRequired && v.reviewersRequired > 1
                      ? ` (review ${v.slot} of ${v.reviewersRequired})`
                      : ''}
                    {v.final === false ? <span className="muted small"> · not final</span> : null}
                  </td>
                  <td>
                    {v.verdict}: <span className="strong">{v.label}</span>
                    {v.aiLabel ? <span className="muted small"> (AI: {v.aiLabel})</span> : null}
                  </td>
                  <td>
                    <span className={`trail-outcome trail-outcome-${v.outcome}`}>{v.outcome}</span>
                  </td>
                  <td className="trail-reason">{v.reason ?? '–'}</td>
                  <td className="num">{formatDuration(v.waitedMs)}</td>
                  <td className="num">{formatDuration(v.timeTakenMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <div className="trail-columns">
        <section className="panel" aria-labelledby="trail-events">
          <h2 id="trail-events">Audit events</h2>
          <table className="table trail-table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Time</th>
                <th>Action</th>
                <th>Actor</th>
                <th>Hash</th>
              </tr>
            </thead>
            <tbody>
              {t.events.map((e) => (
                <tr key={e.seq}>
                  <td className="num">{e.seq}</td>
                  <td>{formatDateTime(e.at)}</td>
                  <td>
                    <code className="action-code">{e.action}</code>
                  </td>
                  <td>{e.actor.type === 'system' ? 'system' : (e.actor.name ?? e.actor.id)}</td>
                  <td className="mono small">{e.hash.slice(0, 16)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel" aria-labelledby="trail-input">
          <h2 id="trail-input">Input</h2>
          <JsonBlock value={i.input} />
          {i.error !== null && i.error !== undefined && (
            <>
              <h3 className="text-danger">Error</h3>
              <JsonBlock value={i.error} />
            </>
          )}
          <p className="muted small">
            Workflow hash <span className="mono">{i.workflow.hash.slice(0, 16)}</span>
          </p>
        </section>
      </div>
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
    </div>
  );
}

function Verification({ verification: v, coverage: c }: Pick<Trail, 'verification'> & { coverage: Trail['coverage'] }) {
  const checkpoint =
    c.covered && c.checkpoint
      ? `Signed checkpoint ${c.checkpoint.seq} (${formatDateTime(c.checkpoint.createdAt)}) covers the head`
      : c.checkpoint
        ? `Not yet in a signed checkpoint: checkpoint ${c.checkpoint.seq} signs event ${c.checkpoint.eventSeq}`
        : 'Not yet in a signed checkpoint';
  return (
    <div className={`trail-verification ${v.ok ? 'trail-verification-ok' : 'trail-verification-broken'}`} role="status">
      <strong>
        {v.ok
          ? `✓ Audit chain verified: ${v.checked} events intact up to the recorded head`
          : `✗ Audit chain broken at event ${v.broken?.seq}: ${v.broken?.reason}`}
      </strong>
      <span className="small">{checkpoint}</span>
      <span className="mono small">
        head event {v.head.seq} · {v.head.hash.slice(0, 24)}…
      </span>
    </div>
  );
}

function DecisionPanel({ decision: d, n }: { decision: Decision; n: number }) {
  const c = d.confidence;
  const facts: [string, string][] = [
    ['Decided', formatDateTime(d.at)],
    ['Agent', d.agent],
    ['Provider / model', `${d.provider} / ${d.model}`],
    ['Model version', d.modelVersion],
    ['Prompt version', d.promptVersion],
    ['Raw confidence', `${pct(c.raw)} (${c.method})${c.note ? ` · ${c.note}` : ''}`],
    [
      'Calibrated confidence',
      `${pct(c.calibrated)} ${c.calibrator ? `(${c.calibrator.method}, ${c.calibrator.labelCount} labels)` : '(no calibrator)'}`,
    ],
    ['Score / threshold', `${num(d.score)} / ${num(d.threshold)}`],
    ['Audit probability', num(d.auditProbability)],
    [
      'Policy in force',
      d.policy
        ? `v${d.policy.version} ${d.policy.status} · target error ${pct(d.policy.maxError)} · QA ${pct(d.policy.auditRate)}`
        : 'none (fixed threshold)',
    ],
    [
      'Certificate',
      d.certificate
        ? `threshold ${num(d.certificate.threshold)} · ${d.certificate.labelsUsed} labels · bound ${pct(d.certificate.upperBound)}`
        : 'none',
    ],
    [
      'Tokens / cost / latency',
      `${d.usage.tokensIn ?? '–'} in · ${d.usage.tokensOut ?? '–'} out · ${d.usage.costUsd === null ? 'cost unknown' : `$${d.usage.costUsd.toFixed(6)}`} · ${formatDuration(d.usage.latencyMs)}`,
    ],
  ];
  return (
    <article className="panel trail-decision" aria-label={`Decision ${n} at ${d.state}`}>
      <div className="panel-header">
        <h3>
          {n}. {d.state}
          {d.visit ? ` (visit ${d.visit})` : ''}: <span className="label-chip">{d.label ?? 'no answer'}</span>
        </h3>
        <span className={`trail-route trail-route-${d.route}`}>route {d.route}</span>
      </div>
      <dl className="trail-facts">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {d.reasons.length > 0 && (
        <ul className="reasons reasons-compact">
          {d.reasons.map((r) => (
            <li key={r.code + r.message}>
              {r.message} <code className="reason-code">{r.code}</code>
            </li>
          ))}
        </ul>
      )}
      {d.rationale && <p className="trail-rationale">“{d.rationale}”</p>}
      {d.checker && (
        <p className="small">
          Checker {d.checker.agent} {d.checker.agrees ? 'agrees' : 'disagrees'}: {d.checker.label ?? '–'} (
          {pct(d.checker.confidence)}) {d.checker.message}
        </p>
      )}
      {d.toolCalls.length > 0 && (
        <table className="table trail-table" aria-label="Tool calls">
          <thead>
            <tr>
              <th>Tool</th>
              <th>Arguments</th>
              <th>Result</th>
              <th className="num">Latency</th>
            </tr>
          </thead>
          <tbody>
            {d.toolCalls.map((call, k) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a decision's tool calls are a fixed list in call order.
              <tr key={k}>
                <th scope="row" className="mono">
                  {call.name}
                </th>
                <td className="mono small">{JSON.stringify(call.arguments)}</td>
                <td className="mono small">{call.ok ? JSON.stringify(call.result) : `failed: ${call.error}`}</td>
                <td className="num">{formatDuration(call.latencyMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}
