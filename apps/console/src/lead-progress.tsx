import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFigure, COLORS, formatSeconds } from './dashboard-parts';
import { formatPercent } from './format';
import { LEAD_REFRESH_MS } from './lead-parts';
import { messageOf, type Outputs, useTRPC } from './trpc';

export type ProgressRow = Outputs['leads']['progress'][number];

const WINDOWS = [
  { value: 'day', label: 'Last 24 hours', ms: 86_400_000 },
  { value: 'week', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: 'month', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;
type WindowName = (typeof WINDOWS)[number]['value'];

/**
 * Each reviewer's work in the lead's queues over a window: tasks done, overrides of the AI (among
 * their verdicts on an AI answer), time per task from claim to verdict, and what they hold now.
 */
export function ProgressPanel({ queues }: { queues: string[] }) {
  const trpc = useTRPC();
  const [queue, setQueue] = useState('');
  const [windowName, setWindowName] = useState<WindowName>('week');
  const id = useId();
  // The window's start, fixed per choice so the query key (and cache) holds still between refreshes.
  const from = useMemo(() => {
    const w = WINDOWS.find((x) => x.value === windowName) ?? WINDOWS[1];
    return new Date(Date.now() - w.ms).toISOString();
  }, [windowName]);
  const progress = useQuery({
    ...trpc.leads.progress.queryOptions({ from, ...(queue ? { queue } : {}) }),
    refetchInterval: LEAD_REFRESH_MS * 4,
  });
  const rows = progress.data ?? [];

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel-header">
        <h2 id={`${id}-title`}>Reviewer progress</h2>
        <div className="lead-filters">
          <div className="field field-inline">
            <label htmlFor={`${id}-queue`}>Queue</label>
            <select id={`${id}-queue`} value={queue} onChange={(e) => setQueue(e.target.value)}>
              <option value="">All your queues</option>
              {queues.map((q) => (
                <option key={q} value={q}>
                  {q}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={`${id}-window`}>Period</label>
            <select
              id={`${id}-window`}
              value={windowName}
              onChange={(e) => setWindowName(e.target.value as WindowName)}
            >
              {WINDOWS.map((w) => (
                <option key={w.value} value={w.value}>
                  {w.label}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      <p className="muted panel-intro">
        Done: tasks completed in the period. Overrides: verdicts that changed the AI's answer. Time per task: from claim
        to verdict.
      </p>
      {progress.isPending ? (
        <p className="loading">Loading…</p>
      ) : progress.isError ? (
        <p className="form-error" role="alert">
          {messageOf(progress.error)}
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">Nobody works these queues yet.</p>
      ) : (
        <>
          <ProgressTable rows={rows} />
          {rows.some((r) => r.done > 0) && <ProgressChart rows={rows} />}
        </>
      )}
    </section>
  );
}

function ProgressTable({ rows }: { rows: ProgressRow[] }) {
  return (
    <table className="table">
      <caption className="visually-hidden">Progress per reviewer</caption>
      <thead>
        <tr>
          <th scope="col">Reviewer</th>
          <th scope="col" className="num">
            Done
          </th>
          <th scope="col" className="num">
            Overrides
          </th>
          <th scope="col" className="num">
            Median time
          </th>
          <th scope="col" className="num">
            Mean time
          </th>
          <th scope="col" className="num">
            Holding now
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.userId}>
            <th scope="row">
              {r.name} <span className="muted small">{r.role}</span>
            </th>
            <td className="num strong">{r.done}</td>
            <td className="num">
              {r.overrides}
              {r.aiVerdicts > 0 && <span className="muted small"> ({formatPercent(r.overrides / r.aiVerdicts)})</span>}
            </td>
            <td className="num">{r.medianSeconds === null ? '–' : formatSeconds(r.medianSeconds)}</td>
            <td className="num">{r.meanSeconds === null ? '–' : formatSeconds(r.meanSeconds)}</td>
            <td className="num">{r.openClaims}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ProgressChart({ rows }: { rows: ProgressRow[] }) {
  const data = rows.map((r) => ({ name: r.name, confirmed: r.done - r.overrides, overrides: r.overrides }));
  const done = rows.reduce((a, r) => a + r.done, 0);
  const overrides = rows.reduce((a, r) => a + r.overrides, 0);
  return (
    <ChartFigure
      title="Tasks done per reviewer"
      summary={`${done} tasks done by ${rows.filter((r) => r.done > 0).length} people, ${overrides} of them overrides of the AI.`}
      chart={
        <BarChart className="chart-canvas" responsive data={data} margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
          <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
          <XAxis dataKey="name" />
          <YAxis allowDecimals={false} width={48} />
          <Tooltip />
          <Legend />
          <Bar dataKey="confirmed" name="Other verdicts" stackId="d" fill={COLORS.accent} isAnimationActive={false} />
          <Bar dataKey="overrides" name="Overrides" stackId="d" fill={COLORS.warn} isAnimationActive={false} />
        </BarChart>
      }
      table={{
        columns: ['Reviewer', 'Done', 'Overrides'],
        rows: rows.map((r) => [r.name, r.done, r.overrides]),
      }}
    />
  );
}
