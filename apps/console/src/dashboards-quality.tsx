import { useQuery } from '@tanstack/react-query';
import {
  Area,
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartFigure, COLORS, type DashboardFilters, DashboardPanel } from './dashboard-parts';
import { formatPercent, formatRate } from './format';
import { type Dashboards, useTRPC } from './trpc';

const CONFIDENCE = 0.95;
/** More lines than this make a chart unreadable: narrow the filters to see the others. */
const MAX_SERIES = 4;

type AccuracyPoint = Dashboards['accuracy'][number];
export const seriesKey = (p: Pick<AccuracyPoint, 'workflow' | 'state' | 'modelVersion'>) =>
  `${p.workflow} / ${p.state} / ${p.modelVersion}`;
const rate = (v: number | null) => (v === null ? '–' : formatRate(v));

/** The columns of an accuracy point's figures, after its bucket and series (see `accuracyCells`). */
export const ACCURACY_COLUMNS = [
  'Auto-accepted',
  'Audited',
  'Accuracy (automated)',
  'Interval',
  'Routed labelled',
  'Accuracy (routed)',
  'Interval (routed)',
];

/** An accuracy point's figures as table cells, in the order of `ACCURACY_COLUMNS`. */
export function accuracyCells(p: Pick<AccuracyPoint, 'automated' | 'routed'>): (string | number)[] {
  return [
    p.automated.population,
    p.automated.labelled,
    rate(p.automated.accuracy),
    p.automated.population > 0 ? `${formatRate(p.automated.lower)} – ${formatRate(p.automated.upper)}` : '–',
    p.routed.labelled,
    rate(p.routed.accuracy),
    p.routed.labelled > 0 ? `${formatRate(p.routed.lower)} – ${formatRate(p.routed.upper)}` : '–',
  ];
}

/** Accuracy per model version over time: the automated path with its exact interval, and the routed decisions. */
export function AccuracyDashboard({ filters, bucket }: { filters: DashboardFilters; bucket: 'day' | 'week' }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.accuracy.queryOptions({ ...filters, bucket, confidence: CONFIDENCE }));
  return (
    <DashboardPanel
      title="Accuracy against human labels"
      intro={`What the AI decided alone: 1 − the Horvitz–Thompson error of the audit sample, with the exact ${formatRate(CONFIDENCE)} interval (Clopper–Pearson per stratum of audit probability). Routed decisions are not a random sample; their accuracy is shown apart.`}
      query={query}
      isEmpty={(d) => d.length === 0}
      empty="No decisions with an audit probability in this window yet."
    >
      {(points) => {
        const keys = [...new Set(points.map(seriesKey))];
        const shown = keys.slice(0, MAX_SERIES);
        const buckets = [...new Set(points.map((p) => p.bucket))].sort();
        const data = buckets.map((bucket) => {
          const row: Record<string, unknown> = { bucket };
          for (const p of points.filter((q) => q.bucket === bucket)) {
            const k = seriesKey(p);
            row[`${k}:auto`] = p.automated.accuracy;
            row[`${k}:band`] = p.automated.population > 0 ? [p.automated.lower, p.automated.upper] : null;
            row[`${k}:routed`] = p.routed.accuracy;
          }
          return row;
        });
        return (
          <ChartFigure
            title="Accuracy per model version"
            summary={`${keys.length} series over ${buckets.length} ${bucket === 'week' ? 'weeks' : 'days'}${keys.length > MAX_SERIES ? `; the chart shows the first ${MAX_SERIES}, narrow the filters for the others` : ''}.`}
            chart={
              <ComposedChart
                className="chart-canvas"
                responsive
                data={data}
                margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
              >
                <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                <XAxis dataKey="bucket" />
                <YAxis domain={[0, 1]} tickFormatter={formatPercent} width={56} />
                <Tooltip
                  formatter={(v) =>
                    Array.isArray(v) ? v.map((x) => formatRate(Number(x))).join(' – ') : formatRate(Number(v))
                  }
                />
                <Legend />
                {shown.map((k, i) => (
                  <Area
                    key={`${k}:band`}
                    dataKey={`${k}:band`}
                    name={`${k}: interval`}
                    fill={COLORS.series[i % COLORS.series.length]}
                    fillOpacity={0.12}
                    stroke="none"
                    isAnimationActive={false}
                    legendType="none"
                  />
                ))}
                {shown.map((k, i) => (
                  <Line
                    key={`${k}:auto`}
                    dataKey={`${k}:auto`}
                    name={`${k}: automated`}
                    stroke={COLORS.series[i % COLORS.series.length]}
                    strokeWidth={2}
                    connectNulls
                    isAnimationActive={false}
                  />
                ))}
                {shown.map((k, i) => (
                  <Line
                    key={`${k}:routed`}
                    dataKey={`${k}:routed`}
                    name={`${k}: routed`}
                    stroke={COLORS.series[i % COLORS.series.length]}
                    strokeDasharray="4 3"
                    connectNulls
                    isAnimationActive={false}
                  />
                ))}
              </ComposedChart>
            }
            table={{
              columns: ['Bucket', 'Series', ...ACCURACY_COLUMNS],
              rows: points.map((p) => [p.bucket, seriesKey(p), ...accuracyCells(p)]),
            }}
          />
        );
      }}
    </DashboardPanel>
  );
}

export function AutomationDashboard({ filters, bucket }: { filters: DashboardFilters; bucket: 'day' | 'week' }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.automation.queryOptions({ ...filters, bucket }));
  return (
    <DashboardPanel
      title="Automation rate"
      intro="Share of decisions accepted without a person waiting (auto-accepted, QA samples included)."
      query={query}
      isEmpty={(d) => d.length === 0}
      empty="No decisions in this window yet."
    >
      {(points) => {
        const total = points.reduce((a, p) => a + p.decisions, 0);
        const automated = points.reduce((a, p) => a + p.automated, 0);
        return (
          <ChartFigure
            title="Automation rate over time"
            summary={`${formatRate(automated / total)} of ${total} decisions automated in the window.`}
            chart={
              <LineChart
                className="chart-canvas"
                responsive
                data={points}
                margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
              >
                <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                <XAxis dataKey="bucket" />
                <YAxis domain={[0, 1]} tickFormatter={formatPercent} width={56} />
                <Tooltip formatter={(v) => formatRate(Number(v))} />
                <Line
                  dataKey="rate"
                  name="Automated"
                  stroke={COLORS.accent}
                  strokeWidth={2}
                  isAnimationActive={false}
                />
              </LineChart>
            }
            table={{
              columns: ['Bucket', 'Decisions', 'Automated', 'QA samples', 'Reviewed', 'Rate'],
              rows: points.map((p) => [p.bucket, p.decisions, p.automated, p.sampled, p.reviewed, formatRate(p.rate)]),
            }}
          />
        );
      }}
    </DashboardPanel>
  );
}

export function OverridesDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.overrides.queryOptions(filters));
  return (
    <DashboardPanel
      title="Overrides per reviewer"
      intro="Corrections of the AI's answer among each person's verdicts on AI decisions."
      query={query}
      isEmpty={(d) => d.length === 0}
      empty="No verdicts on AI decisions in this window yet."
    >
      {(rows) => (
        <ChartFigure
          title="Override rate per reviewer"
          summary={`${rows.length} reviewers; ${rows.reduce((a, r) => a + r.corrections, 0)} corrections among ${rows.reduce((a, r) => a + r.verdicts, 0)} verdicts.`}
          chart={
            <BarChart
              className="chart-canvas"
              responsive
              data={rows}
              layout="vertical"
              margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
            >
              <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
              <XAxis type="number" domain={[0, 1]} tickFormatter={formatPercent} />
              <YAxis type="category" dataKey="reviewer" width={120} />
              <Tooltip formatter={(v) => formatRate(Number(v))} />
              <Bar dataKey="overrideRate" name="Override rate" fill={COLORS.warn} isAnimationActive={false} />
            </BarChart>
          }
          table={{
            columns: ['Reviewer', 'Verdicts', 'Corrections', 'Adjudications', 'Override rate'],
            rows: rows.map((r) => [r.reviewer, r.verdicts, r.corrections, r.adjudications, formatRate(r.overrideRate)]),
          }}
        />
      )}
    </DashboardPanel>
  );
}

export function AgreementDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.agreement.queryOptions(filters));
  return (
    <DashboardPanel
      title="Inter-reviewer agreement"
      intro="Cohen's kappa (1960) over items reviewed by two people: 1 is full agreement, 0 what chance alone gives."
      query={query}
      isEmpty={(d) => d.kappa === null}
      empty={(d) =>
        `${d.reason ?? 'No kappa'}.${d.pairs === 0 ? ' Double reviews (four-eyes or QA of a reviewed item) feed this.' : ''}`
      }
    >
      {(a) => (
        <>
          <p className="dashboard-figure">
            κ = <strong>{(a.kappa ?? 0).toFixed(2)}</strong>
            <span className="muted">
              {' '}
              ± {((a.standardError ?? 0) * 1.96).toFixed(2)} (95%, large-sample) · {a.pairs} pairs · observed{' '}
              {rate(a.observed)}, by chance {rate(a.expected)}
            </span>
          </p>
          <ChartFigure
            title="Pairs of labels: first reviewer → second"
            summary={`${a.pairs} items reviewed twice.`}
            chart={
              <BarChart
                className="chart-canvas"
                responsive
                data={a.cells.map((c) => ({
                  pair: `${c.first} → ${c.second}`,
                  count: c.count,
                  same: c.first === c.second,
                }))}
                margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
              >
                <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                <XAxis dataKey="pair" />
                <YAxis allowDecimals={false} width={48} />
                <Tooltip />
                <Bar dataKey="count" name="Pairs" fill={COLORS.accent} isAnimationActive={false} />
              </BarChart>
            }
            table={{ columns: ['First', 'Second', 'Pairs'], rows: a.cells.map((c) => [c.first, c.second, c.count]) }}
          />
        </>
      )}
    </DashboardPanel>
  );
}

export function UsageDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.usage.queryOptions(filters));
  return (
    <DashboardPanel
      title="AI calls, tokens and cost"
      intro="Per workflow and UTC day, from the decisions' recorded usage; calls without a known price are counted apart."
      query={query}
      isEmpty={(d) => d.length === 0}
      empty="No AI calls in this window yet."
    >
      {(rows) => {
        const workflows = [...new Set(rows.map((r) => r.workflow))];
        const days = [...new Set(rows.map((r) => r.day))].sort();
        const data = days.map((day) => ({
          day,
          ...Object.fromEntries(rows.filter((r) => r.day === day).map((r) => [r.workflow, r.costUsd])),
        }));
        const cost = rows.reduce((a, r) => a + r.costUsd, 0);
        return (
          <ChartFigure
            title="Estimated cost per day (USD)"
            summary={`${rows.reduce((a, r) => a + r.calls, 0)} calls, $${cost.toFixed(2)} in the window.`}
            chart={
              <BarChart
                className="chart-canvas"
                responsive
                data={data}
                margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
              >
                <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                <XAxis dataKey="day" />
                <YAxis width={64} tickFormatter={(v: number) => `$${v.toFixed(v < 0.1 ? 3 : 2)}`} />
                <Tooltip formatter={(v) => `$${Number(v).toFixed(4)}`} />
                <Legend />
                {workflows.map((w, i) => (
                  <Bar
                    key={w}
                    dataKey={w}
                    stackId="cost"
                    fill={COLORS.series[i % COLORS.series.length]}
                    isAnimationActive={false}
                  />
                ))}
              </BarChart>
            }
            table={{
              columns: ['Day', 'Workflow', 'Calls', 'Tokens in', 'Tokens out', 'Cost (USD)', 'Calls without cost'],
              rows: rows.map((r) => [
                r.day,
                r.workflow,
                r.calls,
                r.tokensIn,
                r.tokensOut,
                r.costUsd.toFixed(4),
                r.callsWithoutCost,
              ]),
            }}
          />
        );
      }}
    </DashboardPanel>
  );
}
