import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Message } from './app';
import { ComplianceTabs } from './compliance-nav';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { formatDateTime } from './format';
import { useCan } from './session';
import { messageOf, type Outputs, useTRPC } from './trpc';
import './compliance-retention.css';

type RetentionRow = Outputs['retention']['status'][number];
type PurgePreview = Outputs['retention']['purge'];

const SOURCE_NAMES: Record<RetentionRow['source'], string> = {
  workflow: 'the workflow',
  default: 'server default',
  none: 'none set',
};

const MODE_NAMES = { delete: 'delete', anonymise: 'anonymise' } as const;

function actorText(p: NonNullable<RetentionRow['lastPurge']>): string {
  if (p.actorName) return p.actorName;
  if (p.actor.type === 'system') return p.actor.id ? `System (${p.actor.id})` : 'System (schedule)';
  return p.actor.type;
}

/**
 * Retention: how long each workflow keeps its items' payloads, what is past it, and the last
 * purges. Admins purge by hand: a dry run first, which says what would go, then a confirmation.
 */
export function ComplianceRetentionScreen() {
  const trpc = useTRPC();
  const canPurge = useCan('retention:purge');
  const status = useQuery(trpc.retention.status.queryOptions({}));
  const [preview, setPreview] = useState<{ workflow?: string; result: PurgePreview } | null>(null);
  const queryClient = useQueryClient();
  const flash = useFlash();
  const dryRun = useMutation(
    trpc.retention.purge.mutationOptions({
      onSuccess: (result, input) => setPreview({ ...(input.workflow ? { workflow: input.workflow } : {}), result }),
    }),
  );
  const purge = useMutation(
    trpc.retention.purge.mutationOptions({
      onSuccess: async (result) => {
        setPreview(null);
        const n = result.workflows.reduce((sum, w) => sum + w.items, 0);
        flash(`Purged the payloads of ${n} ${n === 1 ? 'item' : 'items'}`);
        await queryClient.invalidateQueries({ queryKey: trpc.retention.status.queryKey() });
      },
    }),
  );

  if (status.isError) return <Message title="Cannot read retention">{messageOf(status.error)}</Message>;
  const rows = status.data ?? [];
  const due = rows.reduce((n, r) => n + r.due, 0);
  const previewCount = preview ? preview.result.workflows.reduce((n, w) => n + w.items, 0) : 0;

  return (
    <div className="screen">
      <ComplianceTabs />
      <div className="screen-header">
        <div>
          <h1>Retention</h1>
          <p className="muted">
            Each workflow keeps its items' payloads for a period counted from the item's finish. Past it, the purge
            deletes or anonymises inputs, context, step outputs, prompt snippets, tool calls, event payloads, reviewers'
            reasons and dataset lines; ids, labels, confidences and timings stay, so dashboards and accuracy do not
            change. Audit events hold digests of payloads, so every trail still verifies after a purge.
          </p>
        </div>
        {canPurge && (
          <button
            type="button"
            className="button button-secondary"
            disabled={dryRun.isPending || status.isPending || due === 0}
            onClick={() => dryRun.mutate({ dryRun: true })}
          >
            Purge all due…
          </button>
        )}
      </div>
      {dryRun.isError && (
        <p className="form-error" role="alert">
          {messageOf(dryRun.error)}
        </p>
      )}
      <section className="panel" aria-labelledby="retention-heading">
        <div className="panel-header">
          <h2 id="retention-heading">Periods per workflow</h2>
          {!status.isPending && (
            <span className="muted small">
              {due} {due === 1 ? 'item' : 'items'} past retention
            </span>
          )}
        </div>
        {status.isPending ? (
          <p className="loading">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="empty">No workflow is registered yet.</p>
        ) : (
          <table className="table retention-table">
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col">Period</th>
                <th scope="col">Cut-off (finished before)</th>
                <th scope="col" className="num">
                  Due
                </th>
                <th scope="col" className="num">
                  Held by open tasks
                </th>
                <th scope="col" className="num">
                  Purged
                </th>
                <th scope="col">Last purge</th>
                {canPurge && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.workflow}>
                  <th scope="row">{r.workflow}</th>
                  <td>
                    {r.retention ? (
                      <>
                        {r.retention.days} days, {MODE_NAMES[r.retention.mode]}
                        <span className="muted small"> ({SOURCE_NAMES[r.source]})</span>
                      </>
                    ) : (
                      <span className="muted">Kept forever ({SOURCE_NAMES[r.source]})</span>
                    )}
                  </td>
                  <td>{r.cutoff ? formatDateTime(r.cutoff) : '—'}</td>
                  <td className={`num ${r.due > 0 ? 'strong' : ''}`}>{r.due}</td>
                  <td className="num">{r.heldByOpenTasks}</td>
                  <td className="num">{r.purged}</td>
                  <td>
                    {r.lastPurge ? (
                      <>
                        {formatDateTime(r.lastPurge.at)}
                        <span className="muted small">
                          {' '}
                          · {r.lastPurge.items} {r.lastPurge.items === 1 ? 'item' : 'items'} · {actorText(r.lastPurge)}
                        </span>
                      </>
                    ) : (
                      <span className="muted">Never</span>
                    )}
                  </td>
                  {canPurge && (
                    <td>
                      <button
                        type="button"
                        className="button button-small button-secondary"
                        disabled={!r.retention || r.due === 0 || dryRun.isPending}
                        aria-label={`Purge ${r.workflow}…`}
                        onClick={() => dryRun.mutate({ workflow: r.workflow, dryRun: true })}
                      >
                        Purge…
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {preview && (
        <ConfirmDialog
          title={preview.workflow ? `Purge ${preview.workflow}?` : 'Purge every workflow?'}
          confirmLabel={
            previewCount > 0 ? `Purge ${previewCount} ${previewCount === 1 ? 'item' : 'items'}` : 'Nothing to purge'
          }
          pendingLabel="Purging…"
          tone="danger"
          pending={purge.isPending}
          error={purge.error}
          onConfirm={() =>
            previewCount > 0
              ? purge.mutate({ ...(preview.workflow ? { workflow: preview.workflow } : {}), dryRun: false })
              : setPreview(null)
          }
          onClose={() => {
            setPreview(null);
            purge.reset();
          }}
        >
          <p>A dry run found:</p>
          <ul className="retention-preview">
            {preview.result.workflows.map((w) => (
              <li key={w.workflow}>
                <strong>{w.workflow}</strong>: {w.items} {w.items === 1 ? 'item' : 'items'} finished before{' '}
                {formatDateTime(w.cutoff)} ({w.retention.days} days, {MODE_NAMES[w.retention.mode]})
              </li>
            ))}
          </ul>
          <p className="muted small">
            Their payloads are{' '}
            {preview.result.workflows.some((w) => w.retention.mode === 'anonymise')
              ? 'deleted or anonymised'
              : 'deleted'}{' '}
            for good; the purge is recorded in the audit trail under your name.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
