import { useId } from 'react';
import { formatDateTime, formatRate, formatThreshold } from './format';
import { paths } from './router';
import type { TrustState } from './trpc';

type PolicyStatus = TrustState['policy']['status'];

/** How often the trust screens refresh: the drift guard may pause a state at any time. */
export const TRUST_REFRESH_MS = 10_000;

const STATUS_WORDS: Record<PolicyStatus, string> = {
  uncertified: 'Not certified',
  certified: 'Certified',
  paused: 'Paused',
};

export function TrustStatusBadge({ status }: { status: PolicyStatus }) {
  return <span className={`status status-${status}`}>{STATUS_WORDS[status]}</span>;
}

/** The page of a certified state's policy, or of one certified field's (`?field=`). */
export function trustPolicyHref(policy: { workflow: string; state: string; field: string | null }): string {
  const base = paths.trustState(policy.workflow, policy.state);
  return policy.field ? `${base}?${new URLSearchParams({ field: policy.field })}` : base;
}

/** "at most 5% wrong with 95% confidence": the target a state declares. */
export function targetText(policy: { maxError: number; confidence: number }): string {
  return `at most ${formatRate(policy.maxError)} wrong with ${formatRate(policy.confidence)} confidence`;
}

/**
 * An e-value, as precise as it is useful: "0.42", "3.17", "28.4", and an alarm level of 1/0.05 as
 * "20" (the server computes it as 19.999999999999982).
 */
export function formatEValue(value: number): string {
  const scale = value < 10 ? 100 : 10;
  return String(Math.round(value * scale) / scale);
}

/**
 * Fair labels of the latest model version against the least a certificate needs (as many again
 * when some are wrong): the warm-up in which everything goes to people.
 */
export function FairLabelProgress({ progress }: { progress: NonNullable<TrustState['progress']> }) {
  const id = useId();
  const text = `${progress.fairLabels} of at least ${progress.labelsNeeded} fair labels`;
  return (
    <div className="trust-progress">
      <div className="confidence-row">
        <label className="confidence-label" htmlFor={id}>
          Fair labels towards a certificate
        </label>
        <span className="strong">{text}</span>
      </div>
      <meter
        id={id}
        className="meter meter-progress"
        min={0}
        max={progress.labelsNeeded}
        value={Math.min(progress.fairLabels, progress.labelsNeeded)}
        aria-valuetext={text}
      >
        {text}
      </meter>
      <p className="muted small">
        {progress.wrong} of them wrong · {progress.decisions} decisions of{' '}
        <span className="mono">{progress.key.modelVersion}</span> in the last 90 days
      </p>
    </div>
  );
}

/** What a certificate proves, in the order people ask: where, how safe, on what evidence, how much it automates. */
export function CertificateFacts({ trust }: { trust: TrustState }) {
  const cert = trust.certificate;
  if (!cert) return null;
  return (
    <dl className="kv trust-facts">
      <div>
        <dt>Threshold</dt>
        <dd>
          scores ≥ <strong className="mono">{formatThreshold(cert.threshold)}</strong>
        </dd>
      </div>
      <div>
        <dt>Max error</dt>
        <dd>
          {formatRate(trust.policy.maxError)} (upper bound at the threshold {formatRate(cert.upperBound)})
        </dd>
      </div>
      <div>
        <dt>Confidence</dt>
        <dd>{formatRate(trust.policy.confidence)}</dd>
      </div>
      <div>
        <dt>Labels used</dt>
        <dd>
          {cert.labelsUsed} fair labels, {cert.wrongUsed} wrong
        </dd>
      </div>
      <div>
        <dt>Expected automation</dt>
        <dd>{formatRate(cert.expectedAutomation)} of decisions</dd>
      </div>
      <div>
        <dt>Model version</dt>
        <dd>
          <span className="mono">{cert.modelVersion}</span>{' '}
          <span className="muted">
            ({cert.agent}, {cert.confidenceMethod}, prompt{' '}
            <span className="mono">{cert.promptVersion.slice(0, 12)}</span>)
          </span>
        </dd>
      </div>
      <div>
        <dt>Certified</dt>
        <dd>{formatDateTime(cert.createdAt)}</dd>
      </div>
    </dl>
  );
}

/** The betting e-process over audit samples, against the level at which it pauses auto-accept. */
export function DriftGuardFacts({ trust }: { trust: TrustState }) {
  const { guard } = trust;
  if (trust.policy.status !== 'certified') return null;
  return (
    <section className="trust-guard" aria-label="Drift guard">
      <h3>Drift guard</h3>
      {guard ? (
        <p>
          {guard.samples} audit samples, {guard.wrong} wrong · highest e-value so far{' '}
          <strong>{formatEValue(guard.eValue)}</strong> against an alarm level of {formatEValue(guard.alarmAt)}
          {guard.alarmedAt ? (
            <span className="text-danger strong"> · alarm raised {formatDateTime(guard.alarmedAt)}</span>
          ) : (
            <span className="muted"> · no evidence that the error exceeds {formatRate(trust.policy.maxError)}</span>
          )}
        </p>
      ) : (
        <p className="muted">
          No audit samples evaluated yet. The guard looks at every audit verdict, and every minute; it pauses
          auto-accept as soon as its e-value reaches the alarm level.
        </p>
      )}
    </section>
  );
}
