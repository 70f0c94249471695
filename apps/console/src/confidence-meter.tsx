import { useId } from 'react';
import { formatPercent } from './format';

/**
 * Confidence as a percentage with a bar; the colour says how far to trust it at a glance. The
 * value is the calibrated one (what routing compares); the model's raw figure and where it came
 * from (the method) sit underneath.
 */
export function ConfidenceMeter({ value, raw, method }: { value: number; raw?: number; method?: string }) {
  const id = useId();
  const clamped = Math.min(1, Math.max(0, value));
  const pct = Math.round(clamped * 100);
  const tone = pct >= 85 ? 'high' : pct >= 60 ? 'medium' : 'low';
  const showRaw = raw !== undefined;
  return (
    <div className="confidence">
      <div className="confidence-row">
        <label className="confidence-label" htmlFor={id}>
          Confidence
        </label>
        <span className={`confidence-value confidence-${tone}`}>{formatPercent(clamped)}</span>
      </div>
      <meter id={id} className={`meter meter-${tone}`} min={0} max={1} value={clamped} aria-valuetext={`${pct}%`}>
        {pct}%
      </meter>
      {(showRaw || method) && (
        <p className="muted small">
          {showRaw ? `Calibrated ${formatPercent(clamped)} · raw ${formatPercent(raw)}` : ''}
          {showRaw && method ? ' · ' : ''}
          {method ? `method: ${method}` : ''}
        </p>
      )}
    </div>
  );
}
