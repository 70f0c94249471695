import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { ComplianceTabs } from './compliance-nav';
import { formatDateTime, shortId } from './format';
import { csrfToken } from './session';
import { messageOf, type Outputs, useTRPC } from './trpc';
import './compliance-audit.css';

type Status = Outputs['audit']['status'];
type Coverage = Outputs['audit']['itemCoverage'];

const PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The bundle download link: the session cookie goes with it, the CSRF proof in the query. */
export function bundleHref(items: string[], from: string, to: string): string {
  const q = new URLSearchParams();
  for (const i of items) q.append('item', i);
  if (from) q.set('from', new Date(from).toISOString());
  if (to) q.set('to', new Date(to).toISOString());
  const csrf = csrfToken();
  if (csrf) q.set('csrf', csrf);
  return `/trpc/audit/bundle?${q.toString()}`;
}

/**
 * Whether the audit trail can be trusted: the signing key, the signed checkpoints and every
 * stream's hash chain; the checkpoints; the public key and bundles an auditor verifies offline.
 */
export function ComplianceAuditScreen() {
  const trpc = useTRPC();
  const status = useQuery(trpc.audit.status.queryOptions());
  return (
    <div className="screen">
      <ComplianceTabs />
      <div className="screen-header">
        <div>
          <h1>Audit trail verification</h1>
          <p className="muted">
            Every item, configuration change and sign-in is an event in a hash chain. Signed checkpoints (Ed25519 over
            an RFC 6962 Merkle root of the chains' heads) let an auditor prove, without our database, that no event was
            edited, removed, reordered or rewritten since.
          </p>
        </div>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => void status.refetch()}
          disabled={status.isFetching}
        >
          {status.isFetching ? 'Verifying…' : 'Verify again'}
        </button>
      </div>
      {status.isPending ? (
        <p className="loading">Verifying every chain…</p>
      ) : status.isError ? (
        <p className="form-error" role="alert">
          {messageOf(status.error)}
        </p>
      ) : (
        <VerificationStatus status={status.data} />
      )}
      <div className="audit-columns">
        <PublicKeyPanel />
        <BundlePanel />
      </div>
      <CoveragePanel />
      <CheckpointsPanel />
    </div>
  );
}

function VerificationStatus({ status }: { status: Status }) {
  const problems = [...status.checkpoints.problems, ...status.streams.problems];
  const tampered = !status.checkpoints.ok || status.streams.broken > 0;
  const verdict = tampered ? 'tampered' : status.signing.configured ? 'verified' : 'unsigned';
  const last = status.checkpoints.last;
  return (
    <section className={`panel audit-status audit-status-${verdict}`} aria-labelledby="audit-status-heading">
      <h2 id="audit-status-heading">
        {verdict === 'verified'
          ? 'The audit trail verifies'
          : verdict === 'tampered'
            ? 'Tampering found'
            : 'Chains verify, but nothing is signed'}
      </h2>
      {!status.signing.configured && (
        <p className="audit-warning" role="status">
          {status.signing.reason}
        </p>
      )}
      <dl className="audit-facts">
        <div>
          <dt>Chains</dt>
          <dd>
            {status.streams.intact} of {status.streams.total} streams intact
          </dd>
        </div>
        <div>
          <dt>Covered by a signed checkpoint</dt>
          <dd>
            {status.streams.covered} of {status.streams.total} stream heads
          </dd>
        </div>
        <div>
          <dt>Last checkpoint</dt>
          <dd>{last ? `#${last.seq}, ${formatDateTime(last.createdAt)} (${last.leafCount} streams)` : 'none yet'}</dd>
        </div>
        <div>
          <dt>Checkpoints</dt>
          <dd>
            {status.checkpoints.count} {status.checkpoints.ok ? '(signatures and chain verify)' : '(do not verify)'}
          </dd>
        </div>
        <div>
          <dt>Signing key</dt>
          <dd className="mono">{status.signing.configured ? status.signing.fingerprint : 'not configured'}</dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd>{formatDateTime(status.checkedAt)}</dd>
        </div>
      </dl>
      {problems.length > 0 && (
        <>
          <h3>What does not verify</h3>
          <ul className="audit-problems">
            {problems.map((p) => (
              <li key={`${p.code}-${p.stream ?? ''}-${p.seq ?? ''}-${p.checkpoint ?? ''}`}>{p.message}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function PublicKeyPanel() {
  const trpc = useTRPC();
  const key = useQuery({ ...trpc.audit.publicKey.queryOptions(), retry: false });
  const href = key.data ? `data:application/x-pem-file;charset=utf-8,${encodeURIComponent(key.data.publicKey)}` : '';
  return (
    <section className="panel" aria-labelledby="audit-key-heading">
      <h2 id="audit-key-heading">Public key</h2>
      <p className="muted">Give it to auditors (out of band): it verifies checkpoints and bundles.</p>
      {key.isPending ? (
        <p className="loading">Loading…</p>
      ) : key.isError ? (
        <p className="form-error" role="alert">
          {messageOf(key.error)}
        </p>
      ) : (
        <>
          <p>
            Fingerprint (SHA-256): <span className="mono">{key.data.fingerprint}</span>
          </p>
          <pre className="audit-pem">{key.data.publicKey}</pre>
          <a className="button button-secondary" href={href} download="signoff-audit-public-key.pem">
            Download public key
          </a>
        </>
      )}
    </section>
  );
}

function BundlePanel() {
  const id = useId();
  const [items, setItems] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const ids = items.split(/[\s,]+/).filter(Boolean);
  const bad = ids.filter((i) => !UUID.test(i));
  const wrongOrder = from && to && new Date(from) >= new Date(to);
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Audit bundle</h2>
      <p className="muted">
        One signed JSON file: the chosen items' events and heads, every checkpoint, and proofs that the checkpoints
        cover them. Verify it anywhere with <code>signoff audit verify --bundle FILE --public-key KEY</code>.
      </p>
      <div className="field">
        <label htmlFor={`${id}-items`}>Item ids (empty: every item, config and security)</label>
        <textarea
          id={`${id}-items`}
          rows={2}
          value={items}
          onChange={(e) => setItems(e.target.value)}
          aria-invalid={bad.length ? true : undefined}
          aria-describedby={bad.length ? `${id}-items-error` : undefined}
        />
        {bad.length > 0 && (
          <p className="field-error" id={`${id}-items-error`}>
            Not an item id: {bad.join(', ')}
          </p>
        )}
      </div>
      <div className="audit-range">
        <div className="field">
          <label htmlFor={`${id}-from`}>Items created from</label>
          <input id={`${id}-from`} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Before</label>
          <input
            id={`${id}-to`}
            type="datetime-local"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            aria-invalid={wrongOrder ? true : undefined}
          />
        </div>
      </div>
      {wrongOrder && <p className="field-error">"From" must be before "Before".</p>}
      {bad.length || wrongOrder ? (
        <button type="button" className="button button-primary" disabled>
          Download bundle
        </button>
      ) : (
        <a className="button button-primary" href={bundleHref(ids, from, to)} download>
          Download bundle
        </a>
      )}
    </section>
  );
}

function CoveragePanel() {
  const trpc = useTRPC();
  const id = useId();
  const [input, setInput] = useState('');
  const [itemId, setItemId] = useState<string | null>(null);
  const valid = UUID.test(input.trim());
  const coverage = useQuery({
    ...trpc.audit.itemCoverage.queryOptions({ itemId: itemId ?? '' }),
    enabled: itemId !== null,
    retry: false,
  });
  const chain = useQuery({
    ...trpc.audit.verifyItem.queryOptions({ itemId: itemId ?? '' }),
    enabled: itemId !== null,
    retry: false,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) setItemId(input.trim());
  };
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>One item</h2>
      <form className="audit-coverage-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-item`}>Item id</label>
          <input
            id={`${id}-item`}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            aria-invalid={input && !valid ? true : undefined}
          />
        </div>
        <button type="submit" className="button button-secondary" disabled={!valid}>
          Check item
        </button>
      </form>
      {itemId &&
        (coverage.isError || chain.isError ? (
          <p className="form-error" role="alert">
            {messageOf(coverage.error ?? chain.error)}
          </p>
        ) : coverage.data && chain.data ? (
          <CoverageResult coverage={coverage.data} chainOk={chain.data.ok} broken={chain.data.broken?.reason} />
        ) : (
          <p className="loading">Checking…</p>
        ))}
    </section>
  );
}

function CoverageResult({ coverage, chainOk, broken }: { coverage: Coverage; chainOk: boolean; broken?: string }) {
  const c = coverage.checkpoint;
  return (
    <ul className="audit-coverage" aria-label="Item verification">
      <li>
        Chain: {chainOk ? `intact up to its head, event ${coverage.head.seq}` : `broken: ${broken ?? 'see the trail'}`}
      </li>
      <li>
        {coverage.covered && c
          ? `Head covered by signed checkpoint #${c.seq} (${formatDateTime(c.createdAt)})`
          : c
            ? `Head not yet covered: checkpoint #${c.seq} covers it up to event ${c.eventSeq}; the next checkpoint will take the rest`
            : 'Not covered by any checkpoint yet'}
      </li>
    </ul>
  );
}

function CheckpointsPanel() {
  const trpc = useTRPC();
  const [pages, setPages] = useState<number[]>([]);
  const before = pages.at(-1);
  const list = useQuery({
    ...trpc.audit.checkpoints.queryOptions({ limit: PAGE_SIZE, ...(before ? { before } : {}) }),
    placeholderData: (previous) => previous,
  });
  return (
    <section className="panel" aria-labelledby="audit-checkpoints-heading">
      <h2 id="audit-checkpoints-heading">Signed checkpoints</h2>
      {list.isPending ? (
        <p className="loading">Loading…</p>
      ) : list.isError ? (
        <p className="form-error" role="alert">
          {messageOf(list.error)}
        </p>
      ) : list.data.checkpoints.length === 0 ? (
        <p className="muted">No checkpoints yet.</p>
      ) : (
        <>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Signed</th>
                <th scope="col" className="num">
                  Streams
                </th>
                <th scope="col">Merkle root</th>
                <th scope="col">Hash</th>
                <th scope="col">Key</th>
              </tr>
            </thead>
            <tbody>
              {list.data.checkpoints.map((c) => (
                <tr key={c.seq}>
                  <td>{c.seq}</td>
                  <td>{formatDateTime(c.createdAt)}</td>
                  <td className="num">{c.leafCount}</td>
                  <td className="mono" title={c.root}>
                    {shortId(c.root)}
                  </td>
                  <td className="mono" title={c.hash}>
                    {shortId(c.hash)}
                  </td>
                  <td className="mono" title={c.keyFingerprint}>
                    {shortId(c.keyFingerprint)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="audit-pager">
            <span className="muted">{list.data.total} checkpoints</span>
            <button
              type="button"
              className="button button-secondary"
              disabled={pages.length === 0}
              onClick={() => setPages(pages.slice(0, -1))}
            >
              Newer
            </button>
            <button
              type="button"
              className="button button-secondary"
              disabled={list.data.nextBefore === null}
              onClick={() => list.data.nextBefore !== null && setPages([...pages, list.data.nextBefore])}
            >
              Older
            </button>
          </div>
        </>
      )}
    </section>
  );
}
