import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFigure, COLORS, type DashboardFilters, DashboardPanel, formatSeconds } from './dashboard-parts';
import { formatPercent, formatRate } from './format';
import { useTRPC } from './trpc';

export function ConfusionDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.confusion.queryOptions(filters));
  return (
    <DashboardPanel
      title="Confusion matrix"
      intro="The AI's label (rows) against the person's (columns), one label per decision: an adjudicated one first, else the latest."
      query={query}
      isEmpty={(d) => d.total === 0}
      empty="No labelled AI decisions in this window yet."
    >
      {(m) => {
        const count = (ai: string, human: string) => m.cells.find((c) => c.ai === ai && c.human === human)?.count ?? 0;
        const max = Math.max(...m.cells.map((c) => c.count));
        const data = m.labels.map((ai) => ({ ai, ...Object.fromEntries(m.labels.map((h) => [h, count(ai, h)])) }));
        return (
          <>
            <table className="table table-compact confusion">
              <caption>
                {m.total} labelled decisions; AI and person agree on {formatRate(m.agreement ?? 0)}.
              </caption>
              <thead>
                <tr>
                  <th scope="col">AI said ↓ / person said →</th>
                  {m.labels.map((h) => (
                    <th key={h} scope="col" className="num">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {m.labels.map((ai) => (
                  <tr key={ai}>
                    <th scope="row">{ai}</th>
                    {m.labels.map((h) => {
                      const n = count(ai, h);
                      return (
                        <td
                          key={h}
                          className={`num ${ai === h ? 'confusion-diagonal' : ''}`}
                          style={{ backgroundColor: `rgba(36, 82, 196, ${max > 0 ? (0.35 * n) / max : 0})` }}
                        >
                          {n}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
            <ChartFigure
              title="Human labels for each AI label"
              summary={`${m.labels.length} labels.`}
              chart={
                <BarChart
                  className="chart-canvas"
                  responsive
                  data={data}
                  margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
                >
                  <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                  <XAxis dataKey="ai" />
                  <YAxis allowDecimals={false} width={48} />
                  <Tooltip />
                  <Legend />
                  {m.labels.map((h, i) => (
                    <Bar
                      key={h}
                      dataKey={h}
                      stackId="h"
                      fill={COLORS.series[i % COLORS.series.length]}
                      isAnimationActive={false}
                    />
                  ))}
                </BarChart>
              }
              table={{
                columns: ['AI label', 'Person', 'Decisions'],
                rows: m.cells.map((c) => [c.ai, c.human, c.count]),
              }}
            />
          </>
        );
      }}
    </DashboardPanel>
  );
}

export function CalibrationDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.calibration.queryOptions({ ...filters, confidence: 'calibrated' }));
  return (
    <DashboardPanel
      title="Reliability diagram and ECE"
      intro="Is a decision shown as 90% sure right 90% of the time? Calibrated confidence against the share of decisions people found right, in ten bins."
      query={query}
      isEmpty={(d) => d.labelled === 0}
      empty="No labelled AI decisions in this window yet."
    >
      {(r) => <ReliabilityFigure report={r} points="decisions" />}
    </DashboardPanel>
  );
}

/** A reliability diagram (share right per bin of confidence, against the diagonal) with its ECE and figures. */
export function ReliabilityFigure({
  report: r,
  points,
}: {
  report: {
    bins: { from: number; to: number; confidence: number; accuracy: number; count: number }[];
    ece: number | null;
    labelled: number;
  };
  /** What a point is, in the summary and the table: "decisions", "fields". */
  points: string;
}) {
  const data = r.bins.map((b) => ({
    mid: (b.from + b.to) / 2,
    ideal: (b.from + b.to) / 2,
    confidence: b.count ? b.confidence : null,
    accuracy: b.count ? b.accuracy : null,
    count: b.count,
  }));
  return (
    <ChartFigure
      title="Reliability diagram"
      summary={`ECE ${formatRate(r.ece ?? 0)} over ${r.labelled} labelled ${points} (0 is perfect).`}
      chart={
        <ComposedChart
          className="chart-canvas"
          responsive
          data={data}
          margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
        >
          <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
          <XAxis type="number" dataKey="mid" domain={[0, 1]} tickFormatter={formatPercent} />
          <YAxis domain={[0, 1]} tickFormatter={formatPercent} width={56} />
          <Tooltip formatter={(v) => formatRate(Number(v))} />
          <Legend />
          <Line
            dataKey="ideal"
            name="Perfect calibration"
            stroke={COLORS.muted}
            strokeDasharray="4 3"
            dot={false}
            isAnimationActive={false}
          />
          <Scatter dataKey="accuracy" name="Share right" fill={COLORS.accent} isAnimationActive={false} />
        </ComposedChart>
      }
      table={{
        columns: ['Bin', points.charAt(0).toUpperCase() + points.slice(1), 'Mean confidence', 'Share right'],
        rows: r.bins.map((b) => [
          `${formatPercent(b.from)}–${formatPercent(b.to)}`,
          b.count,
          b.count ? formatRate(b.confidence) : '–',
          b.count ? formatRate(b.accuracy) : '–',
        ]),
      }}
    />
  );
}

export function StateTimesDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.stateTimes.queryOptions(filters));
  return (
    <DashboardPanel
      title="Time per state"
      intro="Median and 95th percentile of each state run's duration. The bottleneck is the state where items spent the most time in all (review states include the person's time)."
      query={query}
      isEmpty={(d) => d.states.length === 0}
      empty="No state runs finished in this window."
    >
      {({ states, bottleneck }) => (
        <>
          {bottleneck && (
            <p className="dashboard-figure">
              Bottleneck: <strong>{`${bottleneck.workflow} / ${bottleneck.state}`}</strong>
              <span className="muted">
                {' '}
                {formatRate(bottleneck.share)} of all state time ({formatSeconds(bottleneck.totalSeconds)})
              </span>
            </p>
          )}
          <ChartFigure
            title="p50 and p95 per state (seconds)"
            summary={`${states.length} states.`}
            chart={
              <BarChart
                className="chart-canvas"
                responsive
                data={states.map((s) => ({ ...s, name: `${s.workflow} / ${s.state}` }))}
                margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
              >
                <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                <XAxis dataKey="name" />
                <YAxis width={64} tickFormatter={(v: number) => formatSeconds(v)} />
                <Tooltip formatter={(v) => formatSeconds(Number(v))} />
                <Legend />
                <Bar dataKey="p50Seconds" name="p50" fill={COLORS.accent} isAnimationActive={false} />
                <Bar dataKey="p95Seconds" name="p95" fill={COLORS.warn} isAnimationActive={false} />
              </BarChart>
            }
            table={{
              columns: ['State', 'Runs', 'p50', 'p95', 'Total'],
              rows: states.map((s) => [
                `${s.workflow} / ${s.state}`,
                s.runs,
                formatSeconds(s.p50Seconds),
                formatSeconds(s.p95Seconds),
                formatSeconds(s.totalSeconds),
              ]),
            }}
          />
        </>
      )}
    </DashboardPanel>
  );
}
