import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useUsers } from './admin-screen';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { ROLE_NAMES } from './format';
import { fieldErrorsOf, messageOf, type Outputs, useTRPC } from './trpc';

type QueueRow = Outputs['queues']['list'][number];
type Member = QueueRow['members'][number];
type UserRow = Outputs['users']['list'][number];

function useMembershipChange(kind: 'add' | 'remove', onDone?: () => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flash = useFlash();
  const options = {
    onSuccess: async (r: { changed: boolean }, input: { queue: string; userId: string }) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.queues.list.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() }),
      ]);
      if (r.changed) flash(kind === 'add' ? `Added to ${input.queue}` : `Removed from ${input.queue}`);
      onDone?.();
    },
  };
  const add = useMutation(trpc.queues.addMember.mutationOptions(options));
  const remove = useMutation(trpc.queues.removeMember.mutationOptions(options));
  return kind === 'add' ? add : remove;
}

/** Who works which queue. Admins reach every queue without being members, so they are not offered. */
export function AdminQueues() {
  const trpc = useTRPC();
  const queues = useQuery(trpc.queues.list.queryOptions());
  const users = useUsers();
  const [removing, setRemoving] = useState<{ queue: string; member: Member } | null>(null);
  if (queues.isPending || users.isPending) return <p className="loading">Loading…</p>;
  if (queues.isError || users.isError)
    return (
      <p className="form-error" role="alert">
        {messageOf(queues.error ?? users.error)}
      </p>
    );
  const candidates = users.data.filter((u) => u.role !== 'admin');
  return (
    <div className="admin-queues">
      <p className="muted">
        Reviewers and leads claim and read only the tasks of queues they are members of; admins reach every queue.
      </p>
      {queues.data.length === 0 && <p className="muted">No queues yet: register a workflow, or add a member below.</p>}
      {queues.data.map((q) => (
        <QueueCard
          key={q.queue}
          queue={q}
          candidates={candidates}
          onRemove={(member) => setRemoving({ queue: q.queue, member })}
        />
      ))}
      <NewQueueForm candidates={candidates} />
      {removing && <RemoveDialog {...removing} onClose={() => setRemoving(null)} />}
    </div>
  );
}

function QueueCard({
  queue,
  candidates,
  onRemove,
}: {
  queue: QueueRow;
  candidates: UserRow[];
  onRemove: (m: Member) => void;
}) {
  const id = useId();
  const memberIds = new Set(queue.members.map((m) => m.userId));
  const addable = candidates.filter((u) => !memberIds.has(u.id));
  return (
    <section className="panel queue-card" aria-labelledby={`${id}-heading`}>
      <div className="queue-card-head">
        <h2 id={`${id}-heading`} className="queue-name">
          {queue.queue}
        </h2>
        <span className="muted small">
          {queue.openTasks} open {queue.openTasks === 1 ? 'task' : 'tasks'}
          {queue.workflows.length ? ` · ${queue.workflows.join(', ')}` : ' · no workflow routes here'}
        </span>
      </div>
      {queue.members.length === 0 ? (
        <p className="muted">No members: only admins can work this queue.</p>
      ) : (
        <ul className="member-list" aria-label={`Members of ${queue.queue}`}>
          {queue.members.map((m) => (
            <li key={m.userId}>
              <span>
                <span className="strong">{m.name}</span> <span className="muted small">{m.email}</span>{' '}
                <span className="role-badge">{ROLE_NAMES[m.role] ?? m.role}</span>
                {m.disabled && <span className="text-danger small"> disabled</span>}
              </span>
              <button
                type="button"
                className="button button-small button-secondary"
                aria-label={`Remove ${m.email} from ${queue.queue}`}
                onClick={() => onRemove(m)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddMemberForm queue={queue.queue} addable={addable} />
    </section>
  );
}

function AddMemberForm({ queue, addable }: { queue: string; addable: UserRow[] }) {
  const id = useId();
  const [userId, setUserId] = useState('');
  const add = useMembershipChange('add', () => setUserId(''));
  if (addable.length === 0) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (userId) add.mutate({ queue, userId });
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={`${id}-user`}>Add to {queue}</label>
      <select id={`${id}-user`} value={userId} onChange={(e) => setUserId(e.target.value)}>
        <option value="">Choose a person…</option>
        {addable.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name} ({u.email}, {ROLE_NAMES[u.role] ?? u.role})
          </option>
        ))}
      </select>
      <button type="submit" className="button button-small button-primary" disabled={!userId || add.isPending}>
        Add
      </button>
      {add.isError && (
        <span className="field-error" role="alert">
          {messageOf(add.error)}
        </span>
      )}
    </form>
  );
}

function NewQueueForm({ candidates }: { candidates: UserRow[] }) {
  const id = useId();
  const [queue, setQueue] = useState('');
  const [userId, setUserId] = useState('');
  const add = useMembershipChange('add', () => {
    setQueue('');
    setUserId('');
  });
  const queueError = fieldErrorsOf(add.error).find((f) => f.path === 'queue')?.message;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate({ queue, userId });
  };
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Another queue</h2>
      <p className="muted small">
        Add someone to a queue no workflow routes to yet (it appears above once it has a member).
      </p>
      <form onSubmit={submit} noValidate>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-queue`}>Queue</label>
            <input
              id={`${id}-queue`}
              type="text"
              value={queue}
              onChange={(e) => setQueue(e.target.value)}
              aria-invalid={queueError ? true : undefined}
              aria-describedby={queueError ? `${id}-queue-error` : undefined}
            />
            {queueError && (
              <p className="field-error" id={`${id}-queue-error`}>
                {queueError}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor={`${id}-user`}>Person</label>
            <select id={`${id}-user`} value={userId} onChange={(e) => setUserId(e.target.value)}>
              <option value="">Choose a person…</option>
              {candidates.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
          </div>
        </div>
        {add.isError && !queueError && (
          <p className="form-error" role="alert">
            {userId ? messageOf(add.error) : 'Choose a person'}
          </p>
        )}
        <button type="submit" className="button button-primary" disabled={add.isPending}>
          Add member
        </button>
      </form>
    </section>
  );
}

function RemoveDialog({ queue, member, onClose }: { queue: string; member: Member; onClose: () => void }) {
  const remove = useMembershipChange('remove', onClose);
  return (
    <ConfirmDialog
      title={`Remove ${member.name} from ${queue}?`}
      confirmLabel="Remove"
      pendingLabel="Removing…"
      tone="danger"
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ queue, userId: member.userId })}
      onClose={onClose}
    >
      <p>
        {member.email} will claim no new tasks from {queue}. A task they hold now stays theirs until they release it or
        its lease expires.
      </p>
    </ConfirmDialog>
  );
}
