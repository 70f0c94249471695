import { ITEM_STATUSES, type ItemStatus } from '@signoff/core/schemas';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Message } from './app';
import { formatAge, formatDateTime, shortId } from './format';
import { Link, paths } from './router';
import { StatusBadge } from './status-badge';
import { messageOf, useTRPC } from './trpc';

export function ItemsScreen() {
  const trpc = useTRPC();
  const id = useId();
  const [status, setStatus] = useState<ItemStatus | ''>('');
  const items = useQuery({
    ...trpc.items.list.queryOptions({ limit: 100, ...(status ? { status } : {}) }),
    refetchInterval: 10_000,
    placeholderData: (previous) => previous,
  });

  if (items.isError && !items.data) return <Message title="Cannot load items">{messageOf(items.error)}</Message>;

  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Items</h1>
          <p className="muted">The most recent items and where they are. Open one to read its audit timeline.</p>
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.target.value as ItemStatus | '')}>
            <option value="">All</option>
            {ITEM_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <section className="panel" aria-label="Items">
        {items.isPending ? (
          <p className="empty">Loading items…</p>
        ) : items.data.length === 0 ? (
          <div className="empty">
            <p className="empty-title">No items</p>
            <p className="muted">Nothing matches this filter yet.</p>
          </div>
        ) : (
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
              {items.data.map((i) => (
                <tr key={i.id}>
                  <th scope="row">
                    <Link href={paths.timeline(i.id)} className="mono" aria-label={`Timeline of item ${shortId(i.id)}`}>
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
        )}
      </section>
    </div>
  );
}
