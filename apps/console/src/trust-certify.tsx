import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { formatDateTime, formatRate, formatThreshold } from './format';
import { type CertificationReport, type CurvePoint, messageOf, type TrustState, useTRPC } from './trpc';
import { TradeoffChart } from './trust-chart';
import { targetText } from './trust-status';

/**
 * Certify a state's threshold on its fair labels and, after reading the result, put the
 * certificate in force. Certifying records a certificate (audited) but changes no routing; only
 * applying it does, after a confirmation.
 */
export function CertifyPanel({ trust }: { trust: TrustState }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flash = useFlash();
  const { policy } = trust;
  const [confirming, setConfirming] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.trust.pathKey() });
  const certify = useMutation(trpc.trust.certify.mutationOptions({ onSettled: refresh }));
  const apply = useMutation(
    trpc.trust.applyCertificate.mutationOptions({
      onSuccess: (applied) => {
        const threshold = certify.data?.certification.threshold;
        flash(
          threshold === null || threshold === undefined
            ? `Certificate applied: policy version ${applied.version}.`
            : `Certificate applied: auto-accepting scores ≥ ${formatThreshold(threshold)}.`,
        );
        setConfirming(false);
        certify.reset();
      },
      onSettled: refresh,
    }),
  );
  const report = certify.data;

  return (
    <section className="panel" aria-labelledby="certify-heading">
      <div className="panel-header">
        <h2 id="certify-heading">Certify</h2>
        <button
          type="button"
          className="button button-secondary"
          onClick={() =>
            certify.mutate({
              workflow: policy.workflow,
              state: policy.state,
              ...(policy.field ? { field: policy.field } : {}),
            })
          }
          disabled={certify.isPending}
        >
          {certify.isPending ? 'Certifying…' : report ? 'Certify again' : 'Certify'}
        </button>
      </div>
      <p className="muted panel-intro">
        Tests every candidate threshold from the highest score down (Learn then Test) on the fair labels of{' '}
        {trust.progress ? <span className="mono">{trust.progress.key.modelVersion}</span> : 'the latest model version'}{' '}
        from the last 90 days, for {targetText(policy)}. A passing threshold is recorded as a certificate; nothing is
        auto-accepted until you apply it.
      </p>
      {certify.error && (
        <div className="form-error" role="alert">
          {messageOf(certify.error)}
        </div>
      )}
      {report && <CertificationResult report={report} onApply={() => setConfirming(true)} />}
      {confirming && report?.certificateId && (
        <ConfirmDialog
          title="Apply this certificate?"
          confirmLabel="Apply certificate"
          pendingLabel="Applying…"
          pending={apply.isPending}
          error={apply.error}
          reasonLabel="Why apply it now"
          onConfirm={(reason) => apply.mutate({ certificateId: report.certificateId as string, reason })}
          onClose={() => {
            setConfirming(false);
            apply.reset();
          }}
        >
          <p>
            From now on, decisions of <span className="mono">{report.key.modelVersion}</span> that score at least{' '}
            <strong className="mono">{formatThreshold(report.certification.threshold ?? 0)}</strong> are accepted
            without a person: about {formatRate(report.certification.certified?.automation ?? 0)} of decisions.{' '}
            {formatRate(policy.auditRate)} of them are still drawn for audit, and the drift guard pauses auto-accept if
            those audits show more than {formatRate(policy.maxError)} wrong.
          </p>
          <p className="muted">Everything else keeps going to people. The change is recorded in the policy history.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function pointsOf(report: CertificationReport): CurvePoint[] {
  return report.certification.candidates.map((c) => ({
    threshold: c.threshold,
    automation: c.automation,
    upper: c.bound.upper,
    estimate: c.bound.estimate,
    labelled: c.bound.labelled,
    wrong: c.bound.wrong,
    tested: c.tested,
    passed: c.passed,
  }));
}

function CertificationResult({ report, onApply }: { report: CertificationReport; onApply: () => void }) {
  const { certification: c } = report;
  return (
    <div className="certify-result">
      <div className={`certify-outcome ${c.threshold === null ? 'certify-outcome-failed' : 'certify-outcome-passed'}`}>
        <h3>
          {c.threshold === null ? (
            'Not certified'
          ) : (
            <>
              Certified threshold: <span className="mono">{formatThreshold(c.threshold)}</span>
            </>
          )}
        </h3>
        <p role="status">{c.reason}</p>
      </div>
      <dl className="inline-meta certify-meta">
        <div>
          <dt>Fair labels</dt>
          <dd>
            {report.fairLabels} of {report.decisions} decisions
          </dd>
        </div>
        <div>
          <dt>Needed at least</dt>
          <dd>{c.labelsNeeded}</dd>
        </div>
        <div>
          <dt>Model version</dt>
          <dd className="mono">{report.key.modelVersion}</dd>
        </div>
        <div>
          <dt>Window</dt>
          <dd>
            {formatDateTime(report.window.from)} – {formatDateTime(report.window.to)}
          </dd>
        </div>
      </dl>
      {c.candidates.length > 0 && (
        <TradeoffChart
          title="Trade-off of this certification"
          points={pointsOf(report)}
          maxError={report.maxError}
          confidence={report.confidence}
          certifiedThreshold={c.threshold}
        />
      )}
      {report.certificateId && (
        <div className="certify-apply">
          <button type="button" className="button button-primary" onClick={onApply}>
            Apply certificate
          </button>
          <span className="muted small">Puts this threshold in force for auto-accept.</span>
        </div>
      )}
    </div>
  );
}
