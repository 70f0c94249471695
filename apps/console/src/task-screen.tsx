import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Message } from './app';
import { ConfidenceMeter } from './confidence-meter';
import { useFlash } from './flash';
import { formatDateTime, formatDue, formatTime } from './format';
import { ItemInput, KeyValues } from './item-input';
import { Link, navigate, paths } from './router';
import { useUser } from './session';
import { messageOf, type TaskView, useTRPC } from './trpc';
import { VerdictForm } from './verdict-form';

export function TaskScreen({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flash = useFlash();
  const user = useUser();
  const task = useQuery({ ...trpc.tasks.get.queryOptions({ taskId }), refetchOnWindowFocus: false });

  const backToQueue = (message: string) => {
    void queryClient.invalidateQueries({ queryKey: trpc.tasks.queues.queryKey() });
    queryClient.removeQueries({ queryKey: trpc.tasks.get.queryKey({ taskId }) });
    flash(message);
    navigate(paths.home());
  };
  const release = useMutation(
    trpc.tasks.release.mutationOptions({ onSuccess: () => backToQueue('Task released. It is back in the queue.') }),
  );

  if (task.isPending) return <p className="loading">Loading task…</p>;
  if (task.isError) return <Message title="Cannot open this task">{messageOf(task.error)}</Message>;
  const t = task.data;
  const mine = t.status === 'claimed' && t.assignee_id === user.id;
  const due = t.due_at ? formatDue(t.due_at) : null;

  return (
    <div className="screen task-screen">
      <div className="task-header">
        <div>
          <Link href={paths.home()} className="back-link">
            ← Queue
          </Link>
          <h1>
            {t.workflow_name} <span className="version">v{t.workflow_version}</span>
          </h1>
          <dl className="inline-meta">
            <div>
              <dt>Step</dt>
              <dd>{t.state}</dd>
            </div>
            <div>
              <dt>Queue</dt>
              <dd>{t.queue}</dd>
            </div>
            {due && (
              <div>
                <dt>Due</dt>
                <dd className={due.overdue ? 'text-warn strong' : undefined}>{due.text}</dd>
              </div>
            )}
            {mine && t.lease_expires_at && (
              <div>
                <dt>Yours until</dt>
                <dd>{formatTime(t.lease_expires_at)}</dd>
              </div>
            )}
          </dl>
        </div>
        <div className="task-actions">
          <Link href={paths.timeline(t.item_id)} className="button button-secondary">
            Timeline
          </Link>
          {mine && (
            <button
              type="button"
              className="button button-secondary"
              onClick={() => release.mutate({ taskId: t.id })}
              disabled={release.isPending}
            >
              {release.isPending ? 'Releasing…' : 'Release'}
            </button>
          )}
        </div>
      </div>

      {release.isError && (
        <div className="form-error" role="alert">
          {messageOf(release.error)}
        </div>
      )}
      {!mine && <TaskStatusNotice task={t} />}

      <div className="task-grid">
        <div className="task-main">
          <section className="panel reasons-panel" aria-labelledby="reasons-heading">
            <h2 id="reasons-heading">Why you are seeing this</h2>
            {t.reasons.length === 0 ? (
              <p className="muted">This step always asks a person.</p>
            ) : (
              <ul className="reasons">
                {t.reasons.map((r) => (
                  <li key={`${r.code}-${r.rule ?? ''}`}>
                    <span className={`reason-code reason-${r.code}`}>{r.rule ?? r.code.replace(/_/g, ' ')}</span>
                    <span>{r.message}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {t.summary !== null && t.summary !== undefined && (
            <section className="panel" aria-labelledby="summary-heading">
              <h2 id="summary-heading">Summary</h2>
              <KeyValues value={t.summary} />
            </section>
          )}
          <section className="panel" aria-labelledby="item-heading">
            <div className="panel-header">
              <h2 id="item-heading">Item</h2>
              <span className="muted small">Received {formatDateTime(t.created_at)}</span>
            </div>
            <ItemInput input={t.input} />
          </section>
          <section className="panel" aria-labelledby="instructions-heading">
            <details className="details instructions" open={!t.decision}>
              <summary>
                <h2 id="instructions-heading">Instructions</h2>
              </summary>
              <div className="instructions-text">{t.instructions}</div>
            </details>
          </section>
        </div>
        <aside className="task-side" aria-label="Decision and verdict">
          <AiAnswer task={t} />
          <VerdictForm task={t} disabled={!mine} onSubmitted={backToQueue} />
        </aside>
      </div>
    </div>
  );
}

function AiAnswer({ task }: { task: TaskView }) {
  const d = task.decision;
  if (!d)
    return (
      <section className="panel" aria-labelledby="ai-heading">
        <h2 id="ai-heading">AI answer</h2>
        <p className="muted">No AI answer at this step: you decide.</p>
      </section>
    );
  return (
    <section className="panel ai-answer" aria-labelledby="ai-heading">
      <h2 id="ai-heading">AI answer</h2>
      <div className="ai-summary">
        {d.label ? (
          <span className="label-chip label-chip-large">{d.label}</span>
        ) : (
          <p className="text-warn">The AI could not answer this one: choose the label yourself.</p>
        )}
        {d.confidence_method === 'unavailable' ? (
          <p className="text-warn">No usable confidence from this endpoint: judge the answer yourself.</p>
        ) : (
          <ConfidenceMeter value={d.calibrated_confidence} raw={d.confidence} method={d.confidence_method} />
        )}
      </div>
      {d.confidence_note && <p className="muted small">About the confidence: {d.confidence_note}</p>}
      <dl className="model-facts">
        <div>
          <dt>Model</dt>
          <dd>{d.model}</dd>
        </div>
        <div>
          <dt>Model version</dt>
          <dd>{d.model_version}</dd>
        </div>
        <div>
          <dt>Prompt version</dt>
          <dd>{d.prompt_version}</dd>
        </div>
        {d.output_mode && (
          <div>
            <dt>Output mode</dt>
            <dd>{d.output_mode}</dd>
          </div>
        )}
        <div>
          <dt>Agent</dt>
          <dd>
            {d.agent} <span className="muted">via {d.provider}</span>
          </dd>
        </div>
      </dl>
    </section>
  );
}

function TaskStatusNotice({ task }: { task: TaskView }) {
  const text =
    task.status === 'done'
      ? 'This task has been reviewed; its verdict is final.'
      : task.status === 'claimed'
        ? `${task.assignee_name ?? 'Another reviewer'} is working on this task.`
        : 'This task is back in the queue. Claim it from the queue to answer it.';
  return (
    <p className="notice" role="status">
      {text} <Link href={paths.home()}>Back to the queue</Link>
    </p>
  );
}
