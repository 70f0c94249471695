import type { UseQueryResult } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { messageOf } from './trpc';

// SVG presentation attributes take colours, not CSS variables: the palette of styles.css.
export const COLORS = {
  accent: '#2452c4',
  muted: '#8a94a3',
  danger: '#b42318',
  ok: '#137a44',
  warn: '#b54708',
  grid: '#e2e5ea',
  series: ['#2452c4', '#137a44', '#b54708', '#7a3fc2', '#0e7490', '#b42318'],
} as const;

/** What the filters of the screen ask every query for. */
export interface DashboardFilters {
  workflow?: string;
  state?: string;
  modelVersion?: string;
  from: string;
  to: string;
}

/**
 * A dashboard: a titled section whose body is the query's loading, error or empty state, or the
 * chart. `empty` says what is missing, in words a person can act on.
 */
export function DashboardPanel<T>({
  title,
  intro,
  query,
  isEmpty,
  empty,
  children,
}: {
  title: string;
  intro?: ReactNode;
  query: UseQueryResult<T, unknown>;
  isEmpty: (data: T) => boolean;
  empty: string | ((data: T) => string);
  children: (data: T) => ReactNode;
}) {
  const id = useId();
  const { data } = query;
  return (
    <section className="panel dashboard-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {intro && <p className="muted panel-intro">{intro}</p>}
      {query.isPending ? (
        <p className="loading">Loading…</p>
      ) : query.isError || data === undefined ? (
        <p className="form-error" role="alert">
          {messageOf(query.error)}
        </p>
      ) : isEmpty(data) ? (
        <p className="empty">{typeof empty === 'string' ? empty : empty(data)}</p>
      ) : (
        children(data)
      )}
    </section>
  );
}

/** A chart with its title and one-sentence summary for screen readers, and its figures as a table. */
export function ChartFigure({
  title,
  summary,
  chart,
  table,
}: {
  title: string;
  summary: string;
  chart: ReactNode;
  table: { columns: string[]; rows: (string | number)[][] };
}) {
  const id = useId();
  return (
    <figure className="chart" aria-labelledby={`${id}-title`} aria-describedby={`${id}-summary`}>
      <figcaption>
        <span id={`${id}-title`} className="chart-title">
          {title}
        </span>
        <span id={`${id}-summary`} className="chart-summary">
          {summary}
        </span>
      </figcaption>
      {chart}
      <details className="details chart-table">
        <summary>Show as a table ({table.rows.length} rows)</summary>
        <DataTable caption={title} {...table} />
      </details>
    </figure>
  );
}

export function DataTable({
  caption,
  columns,
  rows,
}: {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}) {
  return (
    <table className="table table-compact">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c, i) => (
            <th key={c} scope="col" className={i === 0 ? undefined : 'num'}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={String(r[0]) + r.slice(1, 3).join('|')}>
            {r.map((v, i) =>
              i === 0 ? (
                <th key={columns[i]} scope="row">
                  {v}
                </th>
              ) : (
                <td key={columns[i]} className="num">
                  {v}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "12.3 s", "4.2 min", "3.1 h", "2.0 d": durations of states and queues. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  if (s < 86_400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}
