import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Message } from './app';
import { Link } from './router';
import { messageOf, type TrustState, useTRPC } from './trpc';
import {
  CertificateFacts,
  DriftGuardFacts,
  FairLabelProgress,
  TRUST_REFRESH_MS,
  TrustStatusBadge,
  targetText,
  trustPolicyHref,
} from './trust-status';
import './trust.css';

/** Every decide state (and certified field of a structured state) that declares certified auto-accept, and why it auto-accepts or does not. */
export function TrustScreen() {
  const trpc = useTRPC();
  const states = useQuery({ ...trpc.trust.states.queryOptions(), refetchInterval: TRUST_REFRESH_MS });

  if (states.isError && !states.data)
    return <Message title="Cannot load the trust overview">{messageOf(states.error)}</Message>;

  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Trust</h1>
          <p className="muted">
            Certified auto-accept: which AI decisions go through without a person, the evidence that allows it, and the
            guard that stops it.
          </p>
        </div>
      </div>
      {states.isPending ? (
        <p className="loading">Loading…</p>
      ) : states.data.length === 0 ? (
        <section className="panel empty">
          <p className="empty-title">No certified decide states</p>
          <p className="muted">
            A decide state whose policy declares <code>autoAccept: {'{ maxError, confidence }'}</code> appears here. It
            sends everything to people until its threshold is certified.
          </p>
        </section>
      ) : (
        states.data.map((t) => <TrustStateCard key={t.policy.id} trust={t} />)
      )}
    </div>
  );
}

function TrustStateCard({ trust }: { trust: TrustState }) {
  const id = useId();
  const { policy } = trust;
  return (
    <section className="panel trust-card" aria-labelledby={`${id}-title`}>
      <div className="trust-card-header">
        <h2 id={`${id}-title`} className="trust-title">
          <Link href={trustPolicyHref(policy)}>
            {policy.workflow} / {policy.state}
            {policy.field && <> · field {policy.field}</>}
          </Link>
        </h2>
        <TrustStatusBadge status={policy.status} />
        <span className="muted small">
          Target: {targetText(policy)} · policy version {policy.version}
        </span>
      </div>
      <p className="trust-explanation">{trust.explanation}</p>
      {policy.status === 'uncertified' && trust.progress && <FairLabelProgress progress={trust.progress} />}
      {policy.status !== 'uncertified' && <CertificateFacts trust={trust} />}
      <DriftGuardFacts trust={trust} />
    </section>
  );
}
