import {
  formatPolicyValue,
  POLICY_CHANGE_KINDS,
  POLICY_CSV_COLUMNS,
  POLICY_HISTORY_MAX_LIMIT,
  type PolicyChangeKind,
  policyChangeRow,
  policyEntries,
} from '@signoff/core/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { stringify } from 'csv-stringify/browser/esm/sync';
import { type FormEvent, useId, useState } from 'react';
import { ComplianceTabs } from './compliance-nav';
import { formatDateTime, formatRate, formatThreshold, shortId } from './format';
import { Link, paths } from './router';
import { fieldErrorsOf, messageOf, type Outputs, useTRPC } from './trpc';
import './compliance-policies.css';

type PolicyChange = Outputs['policies']['history']['changes'][number];

export const KIND_NAMES: Record<PolicyChangeKind, string> = {
  state: 'State',
  threshold: 'Threshold',
  sampling: 'Sampling',
  risk_rule: 'Risk rule',
  review_mode: 'Review mode',
  certificate: 'Certificate',
  auto_accept: 'Auto-accept',
};

const PAGE_SIZE = 25;

interface Filters {
  workflow: string;
  state: string;
  kind: PolicyChangeKind | '';
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { workflow: '', state: '', kind: '', from: '', to: '' };

/** The filters as the API's input: empty fields left out, local date-times as instants. */
function toInput(f: Filters) {
  const date = (v: string) => (Number.isNaN(new Date(v).getTime()) ? v : new Date(v).toISOString());
  return {
    ...(f.workflow.trim() ? { workflow: f.workflow.trim() } : {}),
    ...(f.state.trim() ? { state: f.state.trim() } : {}),
    ...(f.kind ? { kind: f.kind } : {}),
    ...(f.from ? { from: date(f.from) } : {}),
    ...(f.to ? { to: date(f.to) } : {}),
  };
}

/**
 * Every policy change (thresholds, certified targets, certificates, risk rules, sampling, review
 * modes, auto-accept paused and resumed) with who, when, why and the old and new values, newest
 * first, for compliance officers and the people who change policy.
 */
export function CompliancePoliciesScreen() {
  const trpc = useTRPC();
  const id = useId();
  const [form, setForm] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  // The cursors of the pages before the current one: "Newer" pops, "Older" pushes.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const history = useQuery({
    ...trpc.policies.history.queryOptions({
      ...toInput(applied),
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    } as Parameters<typeof trpc.policies.history.queryOptions>[0]),
    placeholderData: (previous) => previous,
  });
  const errors = Object.fromEntries(fieldErrorsOf(history.error).map((f) => [f.path, f.message]));
  const queryClient = useQueryClient();
  // Every change the applied filters take (all pages), as the CLI's CSV, masked as every answer is.
  const download = useMutation({
    mutationFn: async () => {
      const changes: PolicyChange[] = [];
      let next: string | undefined;
      do {
        const page = await queryClient.fetchQuery(
          trpc.policies.history.queryOptions({
            ...toInput(applied),
            limit: POLICY_HISTORY_MAX_LIMIT,
            ...(next ? { cursor: next } : {}),
          } as Parameters<typeof trpc.policies.history.queryOptions>[0]),
        );
        changes.push(...page.changes);
        next = page.nextCursor ?? undefined;
      } while (next);
      const csv = stringify(changes.map(policyChangeRow), { header: true, columns: [...POLICY_CSV_COLUMNS] });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      link.download = 'policy-history.csv';
      link.click();
      URL.revokeObjectURL(link.href);
      return changes.length;
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(form);
    setCursors([]);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const field = (k: Exclude<keyof Filters, 'kind'>, label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <input
        id={`${id}-${k}`}
        type={type}
        value={form[k]}
        onChange={set(k)}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `${id}-${k}-error` : undefined}
      />
      {errors[k] && (
        <p className="field-error" id={`${id}-${k}-error`}>
          {errors[k]}
        </p>
      )}
    </div>
  );

  return (
    <div className="screen">
      <ComplianceTabs />
      <div className="screen-header">
        <div>
          <h1>Policy history</h1>
          <p className="muted">
            Every change to how decisions are routed and reviewed: thresholds, certified targets and certificates, risk
            rules, sampling rates, review modes, and auto-accept paused or resumed. Each names who made it, when, why,
            and the audit event that records it.
          </p>
        </div>
      </div>
      <section className="panel" aria-labelledby={`${id}-filters`}>
        <h2 id={`${id}-filters`} className="visually-hidden">
          Filters
        </h2>
        <form className="policy-filters" onSubmit={submit} noValidate>
          {field('workflow', 'Workflow')}
          {field('state', 'State')}
          <div className="field">
            <label htmlFor={`${id}-kind`}>Kind</label>
            <select id={`${id}-kind`} value={form.kind} onChange={set('kind')}>
              <option value="">All kinds</option>
              {POLICY_CHANGE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_NAMES[k]}
                </option>
              ))}
            </select>
          </div>
          {field('from', 'From', 'datetime-local')}
          {field('to', 'Before', 'datetime-local')}
          <div className="policy-filter-actions">
            <button type="submit" className="button button-primary">
              Show changes
            </button>
            <button
              type="button"
              className="button button-secondary"
              disabled={download.isPending}
              onClick={() => download.mutate()}
            >
              {download.isPending ? 'Preparing…' : 'Download CSV'}
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setForm(NO_FILTERS);
                setApplied(NO_FILTERS);
                setCursors([]);
              }}
            >
              Clear
            </button>
          </div>
        </form>
      </section>
      <section className="panel" aria-label="Policy changes">
        {download.isError && (
          <p className="form-error" role="alert">
            {messageOf(download.error)}
          </p>
        )}
        {history.isError && (
          <p className="form-error" role="alert">
            {Object.keys(errors).length ? 'Check the filters marked above.' : messageOf(history.error)}
          </p>
        )}
        {history.isPending ? (
          <p className="loading">Loading the policy history…</p>
        ) : !history.data ? null : history.data.changes.length === 0 ? (
          <div className="empty">
            <p className="empty-title">No policy changes</p>
            <p className="muted">Nothing matches these filters.</p>
          </div>
        ) : (
          <>
            <table className="table policy-changes">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Workflow / state</th>
                  <th scope="col">Change</th>
                  <th scope="col">Old → new</th>
                  <th scope="col">Who</th>
                  <th scope="col">Why</th>
                  <th scope="col">Record</th>
                </tr>
              </thead>
              <tbody>
                {history.data.changes.map((c) => (
                  <ChangeRow key={c.id} change={c} />
                ))}
              </tbody>
            </table>
            <nav className="policy-pages" aria-label="Pages of the policy history">
              <button
                type="button"
                className="button button-secondary button-small"
                disabled={cursors.length === 0}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Newer
              </button>
              <span className="muted small">Page {cursors.length + 1}</span>
              <button
                type="button"
                className="button button-secondary button-small"
                disabled={!history.data.nextCursor}
                onClick={() => history.data?.nextCursor && setCursors([...cursors, history.data.nextCursor])}
              >
                Older
              </button>
            </nav>
          </>
        )}
      </section>
    </div>
  );
}

/** What happened, in a word: added, removed, changed, paused, ... */
export function verbOf(c: PolicyChange): string {
  switch (c.source.action) {
    case 'policy.paused':
      return 'Paused';
    case 'policy.resumed':
      return 'Resumed';
    case 'policy.declared':
      return 'Declared';
    case 'policy.certified':
      return 'Applied';
    case 'certificate.issued':
      return 'Issued';
  }
  if (c.old === null) return 'Added';
  if (c.new === null) return 'Removed';
  return 'Changed';
}

function fieldName(c: PolicyChange): string {
  if (c.field === 'risks.order') return 'order of the risk rules';
  if (c.field.startsWith('risks.')) return c.field.slice('risks.'.length);
  if (c.field === 'policy') return c.state;
  return c.field;
}

function ChangeRow({ change: c }: { change: PolicyChange }) {
  const verb = verbOf(c);
  return (
    <tr>
      <td>
        <time dateTime={c.at}>{formatDateTime(c.at)}</time>
      </td>
      <td>
        <span className="mono">{c.workflow}</span>
        {c.workflowVersion !== null && <span className="muted"> v{c.workflowVersion}</span>}
        <br />
        <span className="mono">{c.state}</span>
      </td>
      <td>
        <span className={`policy-kind policy-kind-${c.kind}`}>{KIND_NAMES[c.kind]}</span>{' '}
        <span className="policy-verb">{verb}</span>
        <br />
        <code className="small">{fieldName(c)}</code>
      </td>
      <td className="policy-values">
        <div className="policy-old">
          <span className="visually-hidden">Old value: </span>
          <PolicyValue value={c.old} />
        </div>
        <div className="policy-arrow" aria-hidden="true">
          ↓
        </div>
        <div className="policy-new">
          <span className="visually-hidden">New value: </span>
          <PolicyValue value={c.new} />
        </div>
      </td>
      <td>
        {c.actor.label}
        <br />
        <span className="muted small">{c.actor.type === 'user' ? 'user' : c.actor.type}</span>
      </td>
      <td className="policy-why">
        {c.reason ? <p>{c.reason}</p> : <p className="muted">No reason recorded</p>}
        {c.evidence && <Evidence evidence={c.evidence} />}
      </td>
      <td>
        <span className="mono small">
          config #{c.source.seq ?? '?'} {c.source.action}
        </span>
        {c.certificateId && <CertificateLink change={c} certificateId={c.certificateId} />}
      </td>
    </tr>
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A value as the policy wrote it: numbers and names as they are, objects as a list of their
 * fields, and a list of risk rules one rule a line (its predicate's code in small type).
 */
function PolicyValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">none</span>;
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord))
    return (
      <ul className="policy-rules">
        {value.map((rule, i) => (
          <li key={typeof rule.name === 'string' ? rule.name : i}>
            {typeof rule.name === 'string' && <strong className="mono">{rule.name}</strong>}
            <PolicyValue value={Object.fromEntries(Object.entries(rule).filter(([k]) => k !== 'name'))} />
          </li>
        ))}
      </ul>
    );
  if (!isRecord(value)) return <span className="mono">{formatPolicyValue(value)}</span>;
  return (
    <dl className="policy-value-list">
      {policyEntries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className={k === 'when' ? 'mono policy-code' : 'mono'}>
            {Array.isArray(v) && v.length > 0 && v.every(isRecord) ? <PolicyValue value={v} /> : formatPolicyValue(v)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Evidence({ evidence }: { evidence: Record<string, unknown> }) {
  const n = (k: string) => (typeof evidence[k] === 'number' ? (evidence[k] as number) : null);
  return (
    <p className="muted small policy-evidence">
      Evidence: {n('samples') ?? '?'} audit samples, {n('wrong') ?? '?'} wrong; e-value {n('eValue')?.toFixed(1) ?? '?'}{' '}
      (alarm at {n('alarmAt') ?? '?'})
    </p>
  );
}

/** The certificate a change issued or applied: its facts on demand, and its state's trust screen. */
function CertificateLink({ change, certificateId }: { change: PolicyChange; certificateId: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const certificate = useQuery({
    ...trpc.trust.certificate.queryOptions({ certificateId }),
    enabled: open,
    staleTime: Number.POSITIVE_INFINITY,
  });
  return (
    <details className="policy-certificate" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Certificate {shortId(certificateId)}</summary>
      {certificate.isPending ? (
        <p className="loading small">Loading…</p>
      ) : certificate.isError ? (
        <p className="form-error small">{messageOf(certificate.error)}</p>
      ) : (
        <dl className="policy-value-list">
          <div>
            <dt>threshold</dt>
            <dd className="mono">{formatThreshold(certificate.data.threshold)}</dd>
          </div>
          <div>
            <dt>model</dt>
            <dd className="mono">
              {certificate.data.agent} {certificate.data.model_version}
            </dd>
          </div>
          <div>
            <dt>target</dt>
            <dd>
              at most {formatRate(certificate.data.max_error)} wrong, {formatRate(certificate.data.confidence)}{' '}
              confidence
            </dd>
          </div>
          <div>
            <dt>bound</dt>
            <dd>
              {formatRate(certificate.data.upper_bound)} on {certificate.data.labels_used} fair labels (
              {certificate.data.wrong_used} wrong)
            </dd>
          </div>
          <div>
            <dt>labels from</dt>
            <dd>
              {formatDateTime(certificate.data.window_from)} to {formatDateTime(certificate.data.window_to)}
            </dd>
          </div>
        </dl>
      )}
      <Link href={paths.trustState(change.workflow, change.state)}>Open {change.state} in Trust</Link>
    </details>
  );
}
