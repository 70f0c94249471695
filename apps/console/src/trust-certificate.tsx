import { useQuery } from '@tanstack/react-query';
import { messageOf, type TrustState, useTRPC } from './trpc';
import { TradeoffChart } from './trust-chart';
import { CertificateFacts } from './trust-status';

/** The certificate on record for a state (in force, or paused), with the trade-off curve it was chosen from. */
export function CertificatePanel({ trust }: { trust: TrustState }) {
  const trpc = useTRPC();
  const summary = trust.certificate;
  const certificate = useQuery({
    ...trpc.trust.certificate.queryOptions({ certificateId: summary?.id ?? '' }),
    enabled: summary !== null,
    // A certificate never changes once issued.
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!summary) return null;
  const paused = trust.policy.status === 'paused';
  return (
    <section className="panel" aria-labelledby="certificate-heading">
      <div className="panel-header">
        <h2 id="certificate-heading">{paused ? 'Certificate (paused)' : 'Certificate in force'}</h2>
        <span className="muted small mono">{summary.id}</span>
      </div>
      <CertificateFacts trust={trust} />
      {certificate.isPending ? (
        <p className="loading">Loading the trade-off curve…</p>
      ) : certificate.isError ? (
        <p className="form-error" role="alert">
          {messageOf(certificate.error)}
        </p>
      ) : (
        <>
          <TradeoffChart
            title="Trade-off curve of the certificate"
            points={certificate.data.evidence.curve}
            maxError={certificate.data.max_error}
            confidence={certificate.data.confidence}
            certifiedThreshold={certificate.data.threshold}
          />
          <p className="muted small">{certificate.data.evidence.method}.</p>
        </>
      )}
    </section>
  );
}
