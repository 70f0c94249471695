// Dashboards of structured decisions (issue 13): when the filters take in a structured decide
// state, a field picker and, per leaf field, accuracy (automated path and routed) and calibration.
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFigure, COLORS, type DashboardFilters, DashboardPanel } from './dashboard-parts';
import { ReliabilityFigure } from './dashboards-diagnostics';
import { ACCURACY_COLUMNS, accuracyCells, seriesKey } from './dashboards-quality';
import { formatPercent, formatRate } from './format';
import { useTRPC } from './trpc';

const CONFIDENCE = 0.95;
/** More lines than this make a chart unreadable: pick a field to see one. */
const MAX_SERIES = 6;

/**
 * The structured fields' dashboards under the screen's filters: nothing when they take in no
 * structured state; otherwise a field picker (all fields, or one) over the accuracy and the calibration.
 */
export function FieldDashboards({
  filters,
  bucket,
  canQuality,
  canDiagnostics,
}: {
  filters: DashboardFilters;
  bucket: 'day' | 'week';
  canQuality: boolean;
  canDiagnostics: boolean;
}) {
  const id = useId();
  const trpc = useTRPC();
  const options = useQuery(
    trpc.dashboards.fields.queryOptions({
      ...(filters.workflow ? { workflow: filters.workflow } : {}),
      ...(filters.state ? { state: filters.state } : {}),
    }),
  );
  const [field, setField] = useState('');
  const states = options.data ?? [];
  if (states.length === 0 || (!canQuality && !canDiagnostics)) return null;
  const paths = [...new Set(states.flatMap((s) => s.fields.map((f) => f.path)))];
  const picked = paths.includes(field) ? field : '';
  return (
    <section className="dashboard-group" aria-labelledby={`${id}-group`}>
      <h2 id={`${id}-group`} className="dashboard-group-title">
        Structured fields
      </h2>
      <p className="muted">
        {states.map((s) => `${s.workflow} / ${s.state}`).join(', ')}: a field is right when the person left it as the AI
        gave it.
      </p>
      <div className="dashboard-filters">
        <div className="field field-inline">
          <label htmlFor={`${id}-field`}>Field</label>
          <select id={`${id}-field`} value={picked} onChange={(e) => setField(e.target.value)}>
            <option value="">All fields</option>
            {paths.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="dashboard-grid">
        {canQuality && <FieldAccuracyDashboard filters={filters} bucket={bucket} field={picked} />}
        {canDiagnostics && <FieldCalibrationDashboard filters={filters} field={picked} />}
      </div>
    </section>
  );
}

function FieldAccuracyDashboard({
  filters,
  bucket,
  field,
}: {
  filters: DashboardFilters;
  bucket: 'day' | 'week';
  field: string;
}) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.dashboards.fieldAccuracy.queryOptions({
      ...filters,
      bucket,
      confidence: CONFIDENCE,
      ...(field ? { field } : {}),
    }),
  );
  return (
    <DashboardPanel
      title={field ? `Accuracy of ${field}` : 'Accuracy per field'}
      intro={`The share of decisions whose field the person did not change. Automated path: 1 − the Horvitz–Thompson error of the audit sample, with the exact ${formatRate(CONFIDENCE)} interval; routed decisions apart (not a random sample).`}
      query={query}
      isEmpty={(d) => d.length === 0}
      empty="No structured decisions with an audit probability in this window yet."
    >
      {(points) => {
        const fields = [...new Set(points.map((p) => p.field))];
        const shown = fields.slice(0, MAX_SERIES);
        const buckets = [...new Set(points.map((p) => p.bucket))].sort();
        const data = buckets.map((b) => {
          const row: Record<string, unknown> = { bucket: b };
          for (const p of points.filter((q) => q.bucket === b)) {
            row[`${p.field}:auto`] = p.automated.accuracy;
            row[`${p.field}:routed`] = p.routed.accuracy;
          }
          return row;
        });
        return (
          <ChartFigure
            title="Field accuracy, automated path"
            summary={`${fields.length} fields over ${buckets.length} ${bucket === 'week' ? 'weeks' : 'days'}${fields.length > MAX_SERIES ? `; the chart shows the first ${MAX_SERIES}, pick a field for the others` : ''}.`}
            chart={
              <LineChart
                className="chart-canvas"
                responsive
                data={data}
                margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
              >
                <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                <XAxis dataKey="bucket" />
                <YAxis domain={[0, 1]} tickFormatter={formatPercent} width={56} />
                <Tooltip formatter={(v) => formatRate(Number(v))} />
                <Legend />
                {shown.map((f, i) => (
                  <Line
                    key={f}
                    dataKey={`${f}:auto`}
                    name={f}
                    stroke={COLORS.series[i % COLORS.series.length]}
                    strokeWidth={2}
                    connectNulls
                    isAnimationActive={false}
                  />
                ))}
              </LineChart>
            }
            table={{
              columns: ['Bucket', 'Field', 'Series', ...ACCURACY_COLUMNS],
              rows: points.map((p) => [p.bucket, p.field, seriesKey(p), ...accuracyCells(p)]),
            }}
          />
        );
      }}
    </DashboardPanel>
  );
}

function FieldCalibrationDashboard({ filters, field }: { filters: DashboardFilters; field: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.dashboards.fieldCalibration.queryOptions({ ...filters, ...(field ? { field } : {}) }));
  return (
    <DashboardPanel
      title={field ? `Calibration of ${field}` : 'Calibration of every field'}
      intro="Is a field shown as 90% sure left unchanged 90% of the time? The field's confidence against the share the person did not change, in ten bins (every field's points together when none is picked)."
      query={query}
      isEmpty={(d) => d.labelled === 0}
      empty="No reviewed structured decisions in this window yet."
    >
      {(r) => <ReliabilityFigure report={r} points="fields" />}
    </DashboardPanel>
  );
}
