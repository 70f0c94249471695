import { ITEM_STATUSES } from '@signoff/core/schemas';
import { decisionSearchFilters, SEARCH_EXPORT_FORMATS } from '@signoff/core/search';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId } from 'react';
import { Message } from './app';
import { ComplianceTabs } from './compliance-nav';
import { type Draft, filterInputs, Pager, useCursorPages, useUrlFilters } from './compliance-search-parts';
import { formatDateTime, shortId } from './format';
import { Link, paths } from './router';
import { csrfToken } from './session';
import { StatusBadge } from './status-badge';
import { messageOf, type Outputs, useTRPC } from './trpc';
import './compliance-search.css';

type SearchRow = Outputs['decisions']['search']['rows'][number];

/** The filters of `decisions.search`, in the order the form shows them; also the URL's parameters. */
const FIELDS = [
  'from',
  'to',
  'workflow',
  'state',
  'itemStatus',
  'model',
  'modelVersion',
  'reviewer',
  'routes',
  'overridden',
  'reviewed',
  'confidenceMin',
  'confidenceMax',
  'confidenceBasis',
  'policyVersionId',
  'certificateId',
] as const;

const PAGE_SIZE = 50;

/** The first days of last month and of this one (UTC), as the date inputs write them. */
function lastMonth(now = new Date()): { from: string; to: string } {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    from: day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))),
    to: day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))),
  };
}

/** The download of the whole result set: the session cookie goes with it, the CSRF proof in the query. */
function exportHref(filters: URLSearchParams, format: string): string {
  const q = new URLSearchParams(filters);
  q.set('format', format);
  const csrf = csrfToken();
  if (csrf) q.set('csrf', csrf);
  return `/trpc/decisions/export?${q}`;
}

/**
 * Compliance's decision search: every AI decision by time, workflow, state, model, reviewer,
 * route, override, confidence and policy, with the person's final verdict; newest first, a page
 * at a time; the whole result set downloads as CSV or JSON. The filters live in the URL.
 */
export function ComplianceSearchScreen() {
  const id = useId();
  const trpc = useTRPC();
  const f = useUrlFilters(decisionSearchFilters, FIELDS);
  const key = f.filterQuery.toString();
  const pages = useCursorPages(key);
  const options = useQuery(trpc.dashboards.options.queryOptions());
  const input = f.input ? { ...f.input, limit: PAGE_SIZE, includeTotal: true, cursor: pages.cursor } : undefined;
  const result = useQuery({
    ...trpc.decisions.search.queryOptions(input ?? { limit: PAGE_SIZE }),
    enabled: input !== undefined,
    placeholderData: (previous) => previous,
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    f.apply(f.draft);
  };
  const preset = () => {
    const values: Draft = { ...lastMonth(), routes: 'auto,sampled', confidenceMax: '0.9' };
    f.setAll(values);
    f.apply(values);
  };
  const { text, select, yesNo, routes } = filterInputs(f, id);

  const total = result.data?.total;
  return (
    <div className="screen">
      <ComplianceTabs />
      <div className="screen-header">
        <div>
          <h1>Decision search</h1>
          <p className="muted">
            Every AI decision with its model, confidence, route, policy and the person's final verdict. The search is in
            the address bar: bookmark it or send it on.
          </p>
        </div>
        <div className="search-exports">
          {SEARCH_EXPORT_FORMATS.map((format) => (
            <a
              key={format}
              className="button button-secondary"
              href={exportHref(f.filterQuery, format)}
              download
              aria-disabled={!f.input || undefined}
            >
              Export {format.toUpperCase()}
            </a>
          ))}
        </div>
      </div>
      <search className="panel search-form" aria-label="Decision filters">
        <form onSubmit={submit}>
          <div className="search-grid">
            {text('from', 'Decided from', { type: 'date' })}
            {text('to', 'Decided before', { type: 'date' })}
            {select('workflow', 'Workflow', options.data?.workflows, 'All workflows')}
            {select('state', 'State', options.data?.states, 'All states')}
            {select('itemStatus', 'Item status', ITEM_STATUSES, 'Any status')}
            {text('model', 'Model')}
            {select('modelVersion', 'Model version', options.data?.modelVersions, 'All model versions')}
            {text('reviewer', 'Reviewer (email or id)')}
            {yesNo('overridden', 'Overridden', 'Overridden by a person', 'Not overridden')}
            {yesNo('reviewed', 'Reviewed', 'A person answered', 'No person answered')}
            {text('confidenceMin', 'Confidence at least', { type: 'number', step: '0.01', min: '0', max: '1' })}
            {text('confidenceMax', 'Confidence below', { type: 'number', step: '0.01', min: '0', max: '1' })}
            {select('confidenceBasis', 'Confidence basis', ['raw'], 'calibrated')}
            {text('policyVersionId', 'Policy version id')}
            {text('certificateId', 'Certificate id')}
            {routes()}
          </div>
          <div className="search-actions">
            <button type="submit" className="button button-primary">
              Search
            </button>
            <button type="button" className="button button-ghost" onClick={() => f.apply({})}>
              Clear
            </button>
            <button type="button" className="link-button" onClick={preset}>
              Auto-accepted below 0.9, last month
            </button>
          </div>
        </form>
      </search>
      <section className="panel" aria-label="Decisions">
        {!f.input ? (
          <p className="empty">Correct the filters above to search.</p>
        ) : result.isError && !result.data ? (
          <Message title="Cannot search">{messageOf(result.error)}</Message>
        ) : !result.data ? (
          <p className="empty">Searching…</p>
        ) : result.data.rows.length === 0 ? (
          <div className="empty">
            <p className="empty-title">No decisions</p>
            <p className="muted">Nothing matches these filters.</p>
          </div>
        ) : (
          <>
            <Pager
              label="Decision"
              nextCursor={result.data.nextCursor}
              pages={pages}
              loading={result.isPlaceholderData}
              summary={
                total && (
                  <>
                    {' '}
                    of {total.capped ? 'more than ' : ''}
                    {total.count.toLocaleString('en')} decisions
                  </>
                )
              }
            />
            <DecisionTable rows={result.data.rows} />
          </>
        )}
      </section>
    </div>
  );
}

function DecisionTable({ rows }: { rows: SearchRow[] }) {
  return (
    <div className="table-scroll">
      <table className="table search-results">
        <thead>
          <tr>
            <th scope="col">Decided</th>
            <th scope="col">Item</th>
            <th scope="col">Workflow · state</th>
            <th scope="col">Model</th>
            <th scope="col">AI label</th>
            <th scope="col">Confidence (cal. / raw)</th>
            <th scope="col">Route</th>
            <th scope="col">Reasons</th>
            <th scope="col">Policy</th>
            <th scope="col">Human verdict</th>
            <th scope="col">Item status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.decisionId}>
              <td className="nowrap" title={r.decidedAt}>
                {formatDateTime(r.decidedAt)}
              </td>
              <th scope="row" className="nowrap">
                <Link href={paths.timeline(r.itemId)} className="mono" aria-label={`Item ${shortId(r.itemId)}`}>
                  {shortId(r.itemId)}
                </Link>{' '}
                <Link
                  href={`/items/${r.itemId}/trail`}
                  className="small"
                  aria-label={`Decision trail of item ${shortId(r.itemId)}`}
                >
                  trail
                </Link>
              </th>
              <td>
                {r.workflow} · {r.state}
              </td>
              <td>
                {r.model} <span className="muted">{r.modelVersion}</span>
              </td>
              <td>{r.label ?? <span className="muted">none</span>}</td>
              <td className="mono nowrap">
                {r.calibratedConfidence.toFixed(3)} / {r.confidence.toFixed(3)}
              </td>
              <td>
                <span className={`route-chip route-${r.route}`}>{r.route}</span>
              </td>
              <td className="small">{r.reasons.map((x) => x.code).join(', ') || <span className="muted">—</span>}</td>
              <td className="small">
                {r.policyVersion !== null ? `v${r.policyVersion}` : <span className="muted">—</span>}
                {r.certificateId && <span className="muted"> · cert {shortId(r.certificateId)}</span>}
              </td>
              <td>
                {r.verdict ? (
                  <>
                    {r.verdict.label}{' '}
                    <span className="muted small">
                      by {r.verdict.reviewerName}
                      {r.verdict.adjudicated ? ' (adjudicated)' : ''}
                    </span>
                    {r.verdict.overridden && <span className="override-chip">overridden</span>}
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                <StatusBadge status={r.itemStatus} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
