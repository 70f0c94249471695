import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { formatRate } from './format';
import { type AccuracyRow, messageOf, useTRPC } from './trpc';
import { TRUST_REFRESH_MS } from './trust-status';

const CONFIDENCE = 0.95;

/**
 * The error of what the AI decides alone, per model version, and, apart from it, how often the AI
 * was right on what people saw. They answer different questions and must never be read as one.
 */
export function AccuracyPanels({
  workflow,
  state,
  field = null,
}: {
  workflow: string;
  state: string;
  /** A certified field: its rows (correct = the reviewer kept the field); else the decision's as a whole. */
  field?: string | null;
}) {
  const trpc = useTRPC();
  const accuracy = useQuery({
    ...trpc.trust.accuracy.queryOptions({ workflow, state, confidence: CONFIDENCE, ...(field ? { field } : {}) }),
    refetchInterval: TRUST_REFRESH_MS,
  });
  const rows = (accuracy.data ?? []).filter((r) => r.field === field);
  const body = (table: (rows: AccuracyRow[]) => ReactNode) =>
    accuracy.isPending ? (
      <p className="loading">Loading…</p>
    ) : accuracy.isError ? (
      <p className="form-error" role="alert">
        {messageOf(accuracy.error)}
      </p>
    ) : rows.length === 0 ? (
      <p className="empty">No decisions yet.</p>
    ) : (
      table(rows)
    );

  return (
    <>
      <section className="panel" aria-labelledby="automated-heading">
        <h2 id="automated-heading">Error of the automated path</h2>
        <p className="muted panel-intro">
          Decisions auto-accepted without a person. Their error is estimated from the audit sample, each audited
          decision standing for the decisions of its audit probability (Horvitz–Thompson), with an exact{' '}
          {formatRate(CONFIDENCE)} interval.
        </p>
        {body(AutomatedTable)}
      </section>
      <section className="panel" aria-labelledby="routed-heading">
        <h2 id="routed-heading">AI accuracy on decisions routed to people</h2>
        <p className="notice">
          Not a random sample: people see the decisions that scored low or matched a risk rule, chosen on purpose. How
          often the AI was right on them says nothing about the error of what is auto-accepted.
        </p>
        {body(RoutedTable)}
      </section>
    </>
  );
}

function AutomatedTable(rows: AccuracyRow[]) {
  return (
    <table className="table">
      <Headers
        numeric={['Auto-accepted', 'Audited', 'Wrong', 'Estimated error', `${formatRate(CONFIDENCE)} interval`]}
      />
      <tbody>
        {rows.map(({ modelVersion, automated: a }) => (
          <tr key={modelVersion}>
            <th scope="row" className="mono">
              {modelVersion}
            </th>
            <td className="num">{a.population}</td>
            <td className="num">{a.labelled}</td>
            <td className="num">{a.wrong}</td>
            {a.population === 0 ? (
              <td className="muted" colSpan={2}>
                Nothing auto-accepted yet
              </td>
            ) : (
              <>
                <td className="num strong">
                  {a.estimate === null ? (
                    <span title="Some auto-accepted decisions have no audit label yet">–</span>
                  ) : (
                    formatRate(a.estimate)
                  )}
                </td>
                <td className="num">
                  {formatRate(a.lower)} – {formatRate(a.upper)}
                </td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RoutedTable(rows: AccuracyRow[]) {
  return (
    <table className="table">
      <Headers numeric={['Routed', 'Labelled', 'AI right', 'AI accuracy']} />
      <tbody>
        {rows.map(({ modelVersion, routed: r }) => (
          <tr key={modelVersion}>
            <th scope="row" className="mono">
              {modelVersion}
            </th>
            <td className="num">{r.decisions}</td>
            <td className="num">{r.labelled}</td>
            <td className="num">{r.aiRight}</td>
            <td className="num strong">{r.accuracy === null ? '–' : formatRate(r.accuracy)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A model version column, then figures, right-aligned. */
function Headers({ numeric }: { numeric: string[] }) {
  return (
    <thead>
      <tr>
        <th scope="col">Model version</th>
        {numeric.map((name) => (
          <th key={name} scope="col" className="num">
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}
