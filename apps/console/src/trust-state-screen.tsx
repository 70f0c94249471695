import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Message } from './app';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { formatDateTime, formatRate, formatThreshold } from './format';
import { Link, paths, setSearch, useSearch } from './router';
import { useCan } from './session';
import { messageOf, type TrustState, useTRPC } from './trpc';
import { AccuracyPanels } from './trust-accuracy';
import { CertificatePanel } from './trust-certificate';
import { CertifyPanel } from './trust-certify';
import { PolicyHistory } from './trust-history';
import { DriftGuardFacts, FairLabelProgress, TRUST_REFRESH_MS, TrustStatusBadge, targetText } from './trust-status';
import './trust.css';

/**
 * One certified decide state: why it auto-accepts or not, its evidence, its history and, for
 * managers, the controls. A structured state with certified fields has a policy per field
 * (`?field=`), chosen with the picker; the state's own policy, when it has one, comes first.
 */
export function TrustStateScreen({ workflow, state }: { workflow: string; state: string }) {
  const trpc = useTRPC();
  const canManage = useCan('policy:manage');
  const states = useQuery({ ...trpc.trust.states.queryOptions(), refetchInterval: TRUST_REFRESH_MS });
  const field = new URLSearchParams(useSearch()).get('field');
  const policies = states.data?.filter((t) => t.policy.workflow === workflow && t.policy.state === state) ?? [];
  const trust = policies.find((t) => t.policy.field === field) ?? (field ? undefined : policies[0]);

  if (states.isError && !states.data)
    return <Message title="Cannot load this state">{messageOf(states.error)}</Message>;
  if (states.isPending) return <p className="loading">Loading…</p>;
  if (!trust)
    return (
      <Message title="No certified auto-accept here">
        {field ? `Field “${field}” of ` : ''}“{state}” of “{workflow}” declares no certified auto-accept.{' '}
        <Link href={paths.trust()}>All states</Link>.
      </Message>
    );
  const { policy } = trust;
  const newModel =
    trust.certificate && trust.progress && trust.progress.key.modelVersion !== trust.certificate.modelVersion
      ? trust.progress
      : null;

  return (
    <div className="screen">
      <div className="task-header">
        <div>
          <Link href={paths.trust()} className="back-link">
            ← Trust
          </Link>
          <h1>
            {state}
            {policy.field && <> · field {policy.field}</>} <TrustStatusBadge status={policy.status} />
          </h1>
          {policies.length > 1 && <PolicyPicker policies={policies} current={policy.field} />}
          <dl className="inline-meta">
            <div>
              <dt>Workflow</dt>
              <dd>{workflow}</dd>
            </div>
            <div>
              <dt>Target</dt>
              <dd>{targetText(policy)}</dd>
            </div>
            <div>
              <dt>Audit rate</dt>
              <dd>{formatRate(policy.auditRate)}</dd>
            </div>
            <div>
              <dt>Policy version</dt>
              <dd>
                {policy.version}, since {formatDateTime(policy.createdAt)}
              </dd>
            </div>
          </dl>
        </div>
        {canManage && <PolicyControls trust={trust} />}
      </div>

      <div className="task-grid">
        <div className="task-main">
          <section className="panel" aria-labelledby="status-heading">
            <h2 id="status-heading">Status</h2>
            <p className="trust-explanation">{trust.explanation}</p>
            {policy.status === 'uncertified' && trust.progress && <FairLabelProgress progress={trust.progress} />}
            {newModel && (
              <p className="notice">
                The latest decisions come from <span className="mono">{newModel.key.modelVersion}</span>, which the
                certificate does not cover: they go to people until it is certified.
              </p>
            )}
            <DriftGuardFacts trust={trust} />
          </section>
          {canManage && <CertifyPanel trust={trust} />}
          <CertificatePanel trust={trust} />
          <AccuracyPanels workflow={workflow} state={state} field={policy.field} />
        </div>
        <aside className="task-side">
          <PolicyHistory workflow={workflow} state={state} field={policy.field} />
        </aside>
      </div>
    </div>
  );
}

/** Which of a structured state's policies the screen shows: the state's own, or a certified field's. */
function PolicyPicker({ policies, current }: { policies: TrustState[]; current: string | null }) {
  const id = useId();
  return (
    <div className="trust-picker">
      <label htmlFor={id}>Policy of</label>
      <select
        id={id}
        value={current ?? ''}
        onChange={(e) => {
          // Same page, another policy: only the query changes (a new history entry, so Back returns).
          setSearch(new URLSearchParams(e.target.value ? { field: e.target.value } : {}));
        }}
      >
        {policies.map((t) => (
          <option key={t.policy.id} value={t.policy.field ?? ''}>
            {t.policy.field ? `field ${t.policy.field}` : 'the whole decision'} ({t.policy.status})
          </option>
        ))}
      </select>
    </div>
  );
}

/** Pause a running auto-accept, or resume a paused one: each asks for a reason and a confirmation. */
function PolicyControls({ trust }: { trust: TrustState }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flash = useFlash();
  const { policy } = trust;
  const [open, setOpen] = useState<'pause' | 'resume' | null>(null);
  const done = (message: string) => {
    setOpen(null);
    flash(message);
  };
  // Refusals too: the policy may have changed under us (the drift guard, a colleague), and the screen should say so.
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.trust.pathKey() });
  const pause = useMutation(
    trpc.trust.pause.mutationOptions({ onSuccess: () => done('Auto-accept paused.'), onSettled: refresh }),
  );
  const resume = useMutation(
    trpc.trust.resume.mutationOptions({ onSuccess: () => done('Auto-accept resumed.'), onSettled: refresh }),
  );
  const ref = { workflow: policy.workflow, state: policy.state, ...(policy.field ? { field: policy.field } : {}) };
  const subject = policy.field ? `field ${policy.field} of ${policy.state}` : policy.state;
  const threshold = trust.certificate ? formatThreshold(trust.certificate.threshold) : null;
  const close = () => {
    setOpen(null);
    pause.reset();
    resume.reset();
  };

  return (
    <div className="task-actions">
      {policy.status === 'certified' && (
        <button type="button" className="button button-secondary" onClick={() => setOpen('pause')}>
          Pause auto-accept
        </button>
      )}
      {policy.status === 'paused' && (
        <button type="button" className="button button-primary" onClick={() => setOpen('resume')}>
          Resume auto-accept
        </button>
      )}
      {open === 'pause' && (
        <ConfirmDialog
          title={`Pause auto-accept of ${subject}?`}
          confirmLabel="Pause auto-accept"
          pendingLabel="Pausing…"
          reasonLabel="Why pause it?"
          tone="danger"
          pending={pause.isPending}
          error={pause.error}
          onConfirm={(reason) => pause.mutate({ ...ref, reason })}
          onClose={close}
        >
          <p>
            Every decision of “{policy.state}” will go to a person{policy.field ? ` for its field ${policy.field}` : ''}{' '}
            until someone resumes auto-accept or applies a new certificate. The certificate stays on record.
          </p>
        </ConfirmDialog>
      )}
      {open === 'resume' && (
        <ConfirmDialog
          title={`Resume auto-accept of ${subject}?`}
          confirmLabel="Resume auto-accept"
          pendingLabel="Resuming…"
          reasonLabel="Why resume it?"
          pending={resume.isPending}
          error={resume.error}
          onConfirm={(reason) => resume.mutate({ ...ref, reason })}
          onClose={close}
        >
          <p>
            Decisions scoring at least <strong className="mono">{threshold}</strong> will be accepted without a person
            again, on the same certificate. The drift guard starts again from now, on new audit samples.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
