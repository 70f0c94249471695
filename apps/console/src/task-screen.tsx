import { leafFields } from '@signoff/core/structured';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Message } from './app';
import { ConfidenceMeter } from './confidence-meter';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { formatDateTime, formatDue } from './format';
import { STRUCTURED_TASK_SHORTCUTS, TASK_SHORTCUTS, useHotkeys } from './hotkeys';
import { ItemInput, KeyValues } from './item-input';
import { LeaseStatus, useHeartbeat } from './lease';
import { PiiScope } from './pii-reveal';
import { useQueueCounts } from './queue-counts';
import { Link, paths } from './router';
import { useCan, useUser } from './session';
import { ShortcutHelp } from './shortcut-help';
import { isLowConfidence } from './structured-value';
import { ContextPanel, HistoryPanel, reviewOf, TrustPanel, VerdictsPanel } from './task-panels';
import { useTaskWork } from './task-work';
import { messageOf, type TaskView, useTRPC } from './trpc';
import { VerdictForm } from './verdict-form';
import { AutoNextToggle } from './work-settings';

export function TaskScreen({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const task = useQuery({ ...trpc.tasks.get.queryOptions({ taskId }), refetchOnWindowFocus: false });
  if (task.isPending) return <p className="loading">Loading task…</p>;
  if (task.isError) return <Message title="Cannot open this task">{messageOf(task.error)}</Message>;
  return <TaskWork task={task.data} />;
}

function TaskWork({ task: t }: { task: TaskView }) {
  const flash = useFlash();
  const user = useUser();
  const canItems = useCan('item:read');
  const work = useTaskWork(t);
  const mine = t.status === 'claimed' && t.assignee_id === user.id;
  const { lost } = useHeartbeat(t, mine);
  const holding = mine && !lost;
  const due = t.due_at ? formatDue(t.due_at) : null;
  const review = reviewOf(t);
  const [escalating, setEscalating] = useState(false);
  const queues = useQueueCounts();
  const waiting = queues.data?.find((q) => q.queue === t.queue)?.pending;

  // Screen readers and keyboards start at the task: focus its heading once it is on screen.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);

  const act = (run: () => void) => () => {
    if (holding && !work.busy) run();
  };
  useHotkeys({
    e: act(() => setEscalating(true)),
    s: act(work.doSkip),
    r: act(work.doRelease),
    n: () => {
      if (holding) flash('Answer, skip or release this task first.', 'info');
      else work.claimNext();
    },
  });
  const actionError = work.release.error ?? work.skip.error ?? work.claim.error;

  return (
    <div className="screen task-screen">
      <div className="task-header">
        <div>
          <Link href={paths.home()} className="back-link">
            ← Queue
          </Link>
          <h1 ref={heading} tabIndex={-1}>
            {t.workflow_name} <span className="version">v{t.workflow_version}</span>
          </h1>
          <dl className="inline-meta">
            <div>
              <dt>Step</dt>
              <dd>{t.state}</dd>
            </div>
            <div>
              <dt>Queue</dt>
              <dd>
                {t.queue}
                {waiting !== undefined && <span className="muted"> · {waiting} waiting</span>}
              </dd>
            </div>
            {review && (
              <div>
                <dt>Review</dt>
                <dd className="strong">{review}</dd>
              </div>
            )}
            {due && (
              <div>
                <dt>Due</dt>
                <dd className={due.overdue ? 'text-warn strong' : undefined}>{due.text}</dd>
              </div>
            )}
          </dl>
          {mine && <LeaseStatus expiresAt={t.lease_expires_at} lost={lost} />}
        </div>
        <div className="task-actions">
          {canItems && (
            <Link href={paths.timeline(t.item_id)} className="button button-secondary">
              Timeline
            </Link>
          )}
          {holding && (
            <>
              <ActionButton
                label="Escalate"
                pendingLabel="Escalating…"
                shortcut="E"
                pending={work.escalate.isPending}
                disabled={work.busy}
                onClick={() => setEscalating(true)}
              />
              <ActionButton
                label="Skip"
                pendingLabel="Skipping…"
                shortcut="S"
                pending={work.skip.isPending}
                disabled={work.busy}
                onClick={work.doSkip}
              />
              <ActionButton
                label="Release"
                pendingLabel="Releasing…"
                shortcut="R"
                pending={work.release.isPending}
                disabled={work.busy}
                onClick={work.doRelease}
              />
            </>
          )}
        </div>
      </div>
      <div className="task-toolbar">
        <AutoNextToggle />
        <ShortcutHelp shortcuts={t.structured ? STRUCTURED_TASK_SHORTCUTS : TASK_SHORTCUTS} title="Task shortcuts" />
      </div>

      {actionError && (
        <div className="form-error" role="alert">
          {messageOf(actionError)}
        </div>
      )}
      {!mine && <TaskStatusNotice task={t} onNext={work.claimNext} />}
      {t.reviewers_required > 1 && t.kind !== 'adjudication' && (
        <p className="notice notice-info">
          One of {t.reviewers_required} independent reviews: you do not see what the others answered, and they do not
          see yours.
        </p>
      )}

      <div className={`task-grid ${t.structured ? 'task-grid-structured' : ''}`}>
        <div className="task-main">
          <VerdictsPanel task={t} />
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
            <PiiScope itemId={t.item_id} path="/input">
              <ItemInput input={t.input} />
            </PiiScope>
          </section>
          <ContextPanel task={t} />
          <section className="panel" aria-labelledby="instructions-heading">
            <details className="details instructions" open={!t.decision}>
              <summary>
                <h2 id="instructions-heading">Instructions</h2>
              </summary>
              <div className="instructions-text">{t.instructions}</div>
            </details>
          </section>
          <HistoryPanel task={t} />
        </div>
        <aside className="task-side" aria-label="Decision and verdict">
          <AiAnswer task={t} />
          <VerdictForm
            task={t}
            disabled={!holding}
            pending={work.submit.isPending || work.claim.isPending}
            error={work.submit.error}
            onSend={work.sendVerdict}
          />
          <TrustPanel task={t} />
        </aside>
      </div>

      {escalating && (
        <ConfirmDialog
          title="Escalate this task?"
          confirmLabel="Escalate"
          pendingLabel="Escalating…"
          reasonLabel="Reason (optional)"
          reasonPlaceholder="What the next person should know"
          pending={work.escalate.isPending}
          error={work.escalate.error}
          onConfirm={(reason) => work.doEscalate(reason)}
          onClose={() => setEscalating(false)}
        >
          <p>The task goes up to the escalation queue for someone with more authority; it leaves your hands.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function ActionButton({
  label,
  pendingLabel,
  shortcut,
  pending,
  disabled,
  onClick,
}: {
  label: string;
  pendingLabel: string;
  shortcut: string;
  pending: boolean;
  disabled: boolean;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      className="button button-secondary"
      onClick={onClick}
      disabled={disabled}
      aria-keyshortcuts={shortcut.toLowerCase()}
    >
      {pending ? pendingLabel : label}
      <span className="kbd-group" aria-hidden="true">
        <kbd>{shortcut}</kbd>
      </span>
    </button>
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
        {task.structured ? (
          <AiRecordSummary structured={task.structured} />
        ) : d.label ? (
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

/** A structured answer in a sentence: how many fields, how many of them the reviewer should look at. */
function AiRecordSummary({ structured }: { structured: NonNullable<TaskView['structured']> }) {
  if (!structured.aiValue)
    return <p className="text-warn">The AI could not answer this one: fill in the record yourself.</p>;
  const leaves = leafFields(structured.fields);
  const low = leaves.filter((f) =>
    isLowConfidence(structured.fieldConfidence[f.path]?.confidence, structured.thresholds[f.path]),
  ).length;
  return (
    <p className="ai-record">
      A record of {leaves.length} {leaves.length === 1 ? 'field' : 'fields'}
      {low > 0 ? `, ${low} with low confidence` : ''}
      {structured.flagged.length > 0 ? `, ${structured.flagged.length} flagged` : ''}: check it in the form.
    </p>
  );
}

function TaskStatusNotice({ task, onNext }: { task: TaskView; onNext: () => void }) {
  const text =
    task.status === 'done'
      ? 'This task has been reviewed; its verdict is final.'
      : task.status === 'claimed'
        ? `${task.assignee_name ?? 'Another reviewer'} is working on this task.`
        : 'This task is back in the queue. Claim it from the queue to answer it.';
  return (
    <p className="notice" role="status">
      {text}{' '}
      <button type="button" className="link-button" onClick={onNext} aria-keyshortcuts="n">
        Next task{' '}
        <span className="kbd-group" aria-hidden="true">
          <kbd>N</kbd>
        </span>
      </button>{' '}
      or <Link href={paths.home()}>back to the queue</Link>
    </p>
  );
}
