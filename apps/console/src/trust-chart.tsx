import { useId } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceDot,
  ReferenceLine,
  Tooltip,
  type TooltipContentProps,
  type TooltipValueType,
  XAxis,
  YAxis,
} from 'recharts';
import { formatPercent, formatRate, formatThreshold } from './format';
import type { CurvePoint } from './trpc';

// SVG presentation attributes take colours, not CSS variables: the palette of styles.css.
const ACCENT = '#2452c4';
const MUTED = '#8a94a3';
const DANGER = '#b42318';
const OK = '#137a44';
const GRID = '#e2e5ea';

/**
 * The error axis stops at this many times the target: above it, the few labels behind the
 * highest thresholds give bounds near 100% that would flatten the part of the curve that matters.
 */
const Y_AXIS_TARGETS = 4;

const CANDIDATE_COLUMNS = ['Threshold', 'Automation', 'Fair labels above', 'Wrong', 'Estimated error', 'Upper bound'];

/**
 * The trade-off of a certification: for each candidate threshold, the share of decisions it
 * would auto-accept (x) against the upper confidence bound on their error (y), with the target
 * as a line and the certified threshold marked. A table under it lists every candidate, for
 * screen readers and for the values the axis cuts off.
 */
export function TradeoffChart({
  title,
  points,
  maxError,
  confidence,
  certifiedThreshold,
}: {
  title: string;
  points: readonly CurvePoint[];
  maxError: number;
  confidence: number;
  certifiedThreshold: number | null;
}) {
  const id = useId();
  const data = [...points].sort((a, b) => a.automation - b.automation || b.threshold - a.threshold);
  const certified = certifiedThreshold === null ? undefined : points.find((p) => p.threshold === certifiedThreshold);
  const yMax = Math.min(1, Y_AXIS_TARGETS * maxError);
  const summary = certified
    ? `Certified threshold ${formatThreshold(certified.threshold)}: ${formatRate(certified.automation)} of decisions auto-accepted, error at most ${formatRate(certified.upper)} with ${formatRate(confidence)} confidence (target ${formatRate(maxError)}).`
    : `No threshold brings the upper bound under the target of ${formatRate(maxError)}.`;
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
      <LineChart
        className="chart-canvas"
        responsive
        data={data}
        margin={{ top: 28, right: 24, bottom: 28, left: 8 }}
        title={title}
        desc={`${summary} Arrow keys move between candidate thresholds.`}
      >
        <CartesianGrid stroke={GRID} strokeDasharray="3 3" />
        <XAxis
          type="number"
          dataKey="automation"
          domain={[0, 1]}
          ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
          tickFormatter={formatPercent}
          label={{ value: 'Automation: share of decisions auto-accepted', position: 'insideBottom', offset: -16 }}
        />
        <YAxis
          type="number"
          domain={[0, yMax]}
          allowDataOverflow
          tickFormatter={formatRate}
          width={64}
          label={{ value: 'Error', angle: -90, position: 'insideLeft', offset: 4 }}
        />
        <Tooltip content={TradeoffTooltip} />
        <Legend verticalAlign="top" height={28} />
        <ReferenceLine
          y={maxError}
          stroke={DANGER}
          strokeDasharray="6 4"
          label={{ value: `Target: at most ${formatRate(maxError)}`, position: 'insideTopLeft', fill: DANGER }}
        />
        <Line
          type="linear"
          dataKey="upper"
          name={`Upper bound on the error (${formatRate(confidence)} confidence)`}
          stroke={ACCENT}
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
        />
        <Line
          type="linear"
          dataKey="estimate"
          name="Estimated error"
          stroke={MUTED}
          strokeDasharray="4 3"
          dot={false}
          isAnimationActive={false}
        />
        {certified && (
          <ReferenceDot
            x={certified.automation}
            y={certified.upper}
            r={6}
            fill={OK}
            stroke="#ffffff"
            strokeWidth={2}
            // Beside the dot, on the side with room: most certified thresholds automate much.
            label={{
              value: `Certified: τ = ${formatThreshold(certified.threshold)}`,
              position: certified.automation > 0.6 ? 'left' : 'right',
              fill: OK,
            }}
          />
        )}
      </LineChart>
      <details className="details chart-table">
        <summary>Every candidate threshold ({points.length})</summary>
        <table className="table table-compact">
          <caption className="visually-hidden">{title}: every candidate threshold</caption>
          <thead>
            <tr>
              {CANDIDATE_COLUMNS.map((name) => (
                <th key={name} scope="col" className="num">
                  {name}
                </th>
              ))}
              <th scope="col">Test</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.threshold} className={p === certified ? 'row-highlight' : undefined}>
                <th scope="row" className="num mono">
                  {formatThreshold(p.threshold)}
                </th>
                <td className="num">{formatRate(p.automation)}</td>
                <td className="num">{p.labelled}</td>
                <td className="num">{p.wrong}</td>
                <td className="num">{p.estimate === null ? '–' : formatRate(p.estimate)}</td>
                <td className="num">{formatRate(p.upper)}</td>
                <td>
                  {p === certified ? 'passed, certified' : p.passed ? 'passed' : p.tested ? 'failed' : 'not tested'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function TradeoffTooltip({ active, payload }: TooltipContentProps<TooltipValueType, string | number>) {
  const point = payload?.[0]?.payload as CurvePoint | undefined;
  if (!active || !point) return null;
  return (
    <div className="chart-tooltip">
      <strong>Threshold {formatThreshold(point.threshold)}</strong>
      <span>Automation {formatRate(point.automation)}</span>
      <span>Upper bound {formatRate(point.upper)}</span>
      <span>Estimated error {point.estimate === null ? '–' : formatRate(point.estimate)}</span>
      <span>
        {point.labelled} fair labels, {point.wrong} wrong ·{' '}
        {point.passed ? 'passed' : point.tested ? 'failed' : 'not tested'}
      </span>
    </div>
  );
}
