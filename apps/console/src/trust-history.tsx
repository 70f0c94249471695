import { useQuery } from '@tanstack/react-query';
import { formatDateTime, shortId } from './format';
import { messageOf, useTRPC } from './trpc';
import { TRUST_REFRESH_MS, TrustStatusBadge } from './trust-status';

/** Every version of a state's policy, newest first, each with why it changed. */
export function PolicyHistory({
  workflow,
  state,
  field = null,
}: {
  workflow: string;
  state: string;
  field?: string | null;
}) {
  const trpc = useTRPC();
  const history = useQuery({
    ...trpc.trust.history.queryOptions({ workflow, state, ...(field ? { field } : {}) }),
    refetchInterval: TRUST_REFRESH_MS,
  });
  return (
    <section className="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">Policy history</h2>
      {history.isPending ? (
        <p className="loading">Loading…</p>
      ) : history.isError ? (
        <p className="form-error" role="alert">
          {messageOf(history.error)}
        </p>
      ) : (
        <ol className="policy-history">
          {history.data.map((v) => (
            <li key={v.id}>
              <div className="policy-history-head">
                <strong>Version {v.version}</strong>
                <TrustStatusBadge status={v.status} />
                <time dateTime={v.createdAt} className="muted small">
                  {formatDateTime(v.createdAt)}
                </time>
              </div>
              <p>{v.reason}</p>
              {v.certificateId && (
                <p className="muted small">
                  Certificate <span className="mono">{shortId(v.certificateId)}</span>
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
