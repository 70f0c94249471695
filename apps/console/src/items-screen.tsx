import { ITEM_STATUSES } from '@signoff/core/schemas';
import { itemListInput } from '@signoff/core/search';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId } from 'react';
import { Message } from './app';
import { filterInputs, Pager, useCursorPages, useUrlFilters } from './compliance-search-parts';
import { formatAge, formatDateTime, shortId } from './format';
import { Link, paths } from './router';
import { StatusBadge } from './status-badge';
import { messageOf, useTRPC } from './trpc';
import './compliance-search.css';

/** The items list's filters, in the order the form shows them; also the URL's parameters. */
const FIELDS = [
  'from',
  'to',
  'workflow',
  'status',
  'state',
  'routes',
  'overridden',
  'confidenceMin',
  'confidenceMax',
] as const;

const PAGE_SIZE = 100;

/**
 * Items, newest first, a page at a time: by creation time, workflow, status and current step, and
 * by what their decisions were (route, overridden, calibrated confidence). The filters live in the URL.
 */
export function ItemsScreen() {
  const trpc = useTRPC();
  const id = useId();
  const f = useUrlFilters(itemListInput, FIELDS);
  const pages = useCursorPages(f.filterQuery.toString());
  const options = useQuery(trpc.dashboards.options.queryOptions());
  const input = f.input ? { ...f.input, limit: PAGE_SIZE, cursor: pages.cursor } : undefined;
  const items = useQuery({
    ...trpc.items.list.queryOptions(input ?? { limit: PAGE_SIZE }),
    enabled: input !== undefined,
    // The first page follows new items as they come; older pages stay as they were read.
    refetchInterval: pages.page === 1 ? 10_000 : false,
    placeholderData: (previous) => previous,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    f.apply(f.draft);
  };
  const { text: field, select, yesNo, routes } = filterInputs(f, id);

  if (items.isError && !items.data) return <Message title="Cannot load items">{messageOf(items.error)}</Message>;

  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Items</h1>
          <p className="muted">Items and where they are, newest first. Open one to read its audit timeline.</p>
        </div>
      </div>
      <search className="panel search-form" aria-label="Item filters">
        <form onSubmit={submit}>
          <div className="search-grid">
            {field('from', 'Created from', { type: 'date' })}
            {field('to', 'Created before', { type: 'date' })}
            {select('workflow', 'Workflow', options.data?.workflows, 'All workflows')}
            {select('status', 'Status', ITEM_STATUSES, 'All')}
            {field('state', 'Current step')}
            {yesNo('overridden', 'Overridden', 'A decision overridden', 'No decision overridden')}
            {field('confidenceMin', 'Confidence at least', { type: 'number', step: '0.01', min: '0', max: '1' })}
            {field('confidenceMax', 'Confidence below', { type: 'number', step: '0.01', min: '0', max: '1' })}
            {routes()}
          </div>
          <div className="search-actions">
            <button type="submit" className="button button-primary">
              Filter
            </button>
            <button type="button" className="button button-ghost" onClick={() => f.apply({})}>
              Clear
            </button>
          </div>
        </form>
      </search>
      <section className="panel" aria-label="Items">
        {!f.input ? (
          <p className="empty">Correct the filters above.</p>
        ) : !items.data ? (
          <p className="empty">Loading items…</p>
        ) : items.data.items.length === 0 ? (
          <div className="empty">
            <p className="empty-title">No items</p>
            <p className="muted">Nothing matches this filter yet.</p>
          </div>
        ) : (
          <>
            <Pager label="Item" nextCursor={items.data.nextCursor} pages={pages} loading={items.isPlaceholderData} />
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col">Workflow</th>
                  <th scope="col">Status</th>
                  <th scope="col">Step</th>
                  <th scope="col">Created</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {items.data.items.map((i) => (
                  <tr key={i.id}>
                    <th scope="row">
                      <Link
                        href={paths.timeline(i.id)}
                        className="mono"
                        aria-label={`Timeline of item ${shortId(i.id)}`}
                      >
                        {shortId(i.id)}
                      </Link>
                    </th>
                    <td>
                      {i.workflow_name} <span className="muted">v{i.workflow_version}</span>
                    </td>
                    <td>
                      <StatusBadge status={i.status} />
                    </td>
                    <td>{i.current_state}</td>
                    <td title={formatDateTime(i.created_at)}>{formatAge(i.created_at)} ago</td>
                    <td title={formatDateTime(i.updated_at)}>{formatAge(i.updated_at)} ago</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </div>
  );
}
