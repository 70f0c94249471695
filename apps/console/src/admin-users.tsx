import { ROLES, type Role } from '@signoff/core/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useUsers } from './admin-screen';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { formatDateTime, ROLE_NAMES } from './format';
import { useUser } from './session';
import { fieldErrorsOf, messageOf, type Outputs, useTRPC } from './trpc';

type UserRow = Outputs['users']['list'][number];

/** What each role is for, next to the role picker. */
export const ROLE_HINTS: Record<Role, string> = {
  reviewer: 'Works the tasks of their queues',
  lead: 'Works and runs their queues: reassigns, sees progress, adjudicates',
  compliance: 'Reads items, audit trails and model metrics',
  data_scientist: 'Trains and calibrates models, certifies auto-accept, exports datasets',
  admin: 'Everything, and manages users, queues and keys',
};

type Editing = { kind: 'role' | 'password' | 'disable'; user: UserRow } | null;

export function AdminUsers() {
  const users = useUsers();
  const [editing, setEditing] = useState<Editing>(null);
  return (
    <div className="admin-layout">
      <section className="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        {users.isPending ? (
          <p className="loading">Loading…</p>
        ) : users.isError ? (
          <p className="form-error" role="alert">
            {messageOf(users.error)}
          </p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Queues</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <tr key={u.id}>
                  <th scope="row">
                    <span className="strong">{u.name}</span>
                    <br />
                    <span className="muted small">{u.email}</span>
                  </th>
                  <td>{ROLE_NAMES[u.role] ?? u.role}</td>
                  <td className="small">
                    {u.role === 'admin' ? <span className="muted">all</span> : u.queues.join(', ') || '—'}
                  </td>
                  <td>
                    {u.disabledAt ? (
                      <span className="text-danger">Disabled {formatDateTime(u.disabledAt)}</span>
                    ) : (
                      'Active'
                    )}
                  </td>
                  <td>
                    <div className="admin-actions">
                      <button
                        type="button"
                        className="button button-small button-secondary"
                        aria-label={`Change role of ${u.email}`}
                        onClick={() => setEditing({ kind: 'role', user: u })}
                      >
                        Change role
                      </button>
                      <button
                        type="button"
                        className="button button-small button-secondary"
                        aria-label={`Reset password of ${u.email}`}
                        onClick={() => setEditing({ kind: 'password', user: u })}
                      >
                        Reset password
                      </button>
                      <DisableToggle user={u} onDisable={() => setEditing({ kind: 'disable', user: u })} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <CreateUserForm />
      {editing?.kind === 'role' && <RoleDialog user={editing.user} onClose={() => setEditing(null)} />}
      {editing?.kind === 'password' && <PasswordDialog user={editing.user} onClose={() => setEditing(null)} />}
      {editing?.kind === 'disable' && <DisableDialog user={editing.user} onClose={() => setEditing(null)} />}
    </div>
  );
}

function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.queues.list.queryKey() }),
    ]);
}

function DisableToggle({ user, onDisable }: { user: UserRow; onDisable: () => void }) {
  const trpc = useTRPC();
  const me = useUser();
  const flash = useFlash();
  const invalidate = useInvalidateUsers();
  const enable = useMutation(
    trpc.users.enable.mutationOptions({
      onSuccess: async (r) => {
        await invalidate();
        flash(`${r.user.email} can sign in again`);
      },
    }),
  );
  if (user.disabledAt)
    return (
      <>
        <button
          type="button"
          className="button button-small button-secondary"
          aria-label={`Enable ${user.email}`}
          disabled={enable.isPending}
          onClick={() => enable.mutate({ userId: user.id })}
        >
          Enable
        </button>
        {enable.isError && (
          <span className="field-error" role="alert">
            {messageOf(enable.error)}
          </span>
        )}
      </>
    );
  return (
    <button
      type="button"
      className="button button-small button-secondary"
      aria-label={`Disable ${user.email}`}
      disabled={user.id === me.id}
      title={user.id === me.id ? 'You cannot disable yourself' : undefined}
      onClick={onDisable}
    >
      Disable
    </button>
  );
}

function DisableDialog({ user, onClose }: { user: UserRow; onClose: () => void }) {
  const trpc = useTRPC();
  const flash = useFlash();
  const invalidate = useInvalidateUsers();
  const disable = useMutation(
    trpc.users.disable.mutationOptions({
      onSuccess: async (r) => {
        await invalidate();
        flash(`${r.user.email} is disabled`);
        onClose();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={`Disable ${user.name}?`}
      confirmLabel="Disable"
      pendingLabel="Disabling…"
      tone="danger"
      pending={disable.isPending}
      error={disable.error}
      onConfirm={() => disable.mutate({ userId: user.id })}
      onClose={onClose}
    >
      <p>{user.email} will not be able to sign in, and their open sessions end now. You can enable them again later.</p>
    </ConfirmDialog>
  );
}

function RoleDialog({ user, onClose }: { user: UserRow; onClose: () => void }) {
  const trpc = useTRPC();
  const flash = useFlash();
  const id = useId();
  const invalidate = useInvalidateUsers();
  const [role, setRole] = useState<Role>(user.role);
  const update = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: async (u) => {
        await invalidate();
        flash(`${u.email} is now ${ROLE_NAMES[u.role] ?? u.role}`);
        onClose();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={`Change the role of ${user.name}`}
      confirmLabel="Save role"
      pendingLabel="Saving…"
      pending={update.isPending}
      error={update.error}
      onConfirm={() => (role === user.role ? onClose() : update.mutate({ userId: user.id, role }))}
      onClose={onClose}
    >
      <div className="field">
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_NAMES[r] ?? r}
            </option>
          ))}
        </select>
        <p className="muted small">{ROLE_HINTS[role]}</p>
      </div>
    </ConfirmDialog>
  );
}

function PasswordDialog({ user, onClose }: { user: UserRow; onClose: () => void }) {
  const trpc = useTRPC();
  const flash = useFlash();
  const id = useId();
  const [password, setPassword] = useState('');
  const update = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (u) => {
        flash(`New password set for ${u.email}; their sessions have ended`);
        onClose();
      },
    }),
  );
  const error = fieldErrorsOf(update.error).find((f) => f.path === 'password')?.message;
  return (
    <ConfirmDialog
      title={`Reset the password of ${user.name}`}
      confirmLabel="Set password"
      pendingLabel="Saving…"
      pending={update.isPending}
      error={error ? null : update.error}
      onConfirm={() => update.mutate({ userId: user.id, password })}
      onClose={onClose}
    >
      <p>Their open sessions end; tell them the new password another way.</p>
      <div className="field">
        <label htmlFor={`${id}-password`}>New password</label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-password-hint${error ? ` ${id}-password-error` : ''}`}
        />
        <p className="muted small" id={`${id}-password-hint`}>
          At least 12 characters
        </p>
        {error && (
          <p className="field-error" id={`${id}-password-error`}>
            {error}
          </p>
        )}
      </div>
    </ConfirmDialog>
  );
}

function CreateUserForm() {
  const trpc = useTRPC();
  const flash = useFlash();
  const id = useId();
  const invalidate = useInvalidateUsers();
  const empty = { email: '', name: '', role: 'reviewer' as Role, password: '' };
  const [form, setForm] = useState(empty);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async (u) => {
        await invalidate();
        flash(`Added ${u.email} (${ROLE_NAMES[u.role] ?? u.role})`);
        setForm(empty);
      },
    }),
  );
  const errors = Object.fromEntries(fieldErrorsOf(create.error).map((f) => [f.path, f.message]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(form);
  };
  const field = (k: 'email' | 'name' | 'password', label: string, type: string, hint?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <input
        id={`${id}-${k}`}
        type={type}
        value={form[k]}
        autoComplete={k === 'password' ? 'new-password' : 'off'}
        onChange={(e) => setForm({ ...form, [k]: e.target.value })}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `${id}-${k}-error` : undefined}
      />
      {hint && <p className="muted small">{hint}</p>}
      {errors[k] && (
        <p className="field-error" id={`${id}-${k}-error`}>
          {errors[k]}
        </p>
      )}
    </div>
  );
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>New user</h2>
      <form onSubmit={submit} noValidate>
        {create.isError && (
          <p className="form-error" role="alert">
            {Object.keys(errors).length ? 'Check the fields marked below.' : messageOf(create.error)}
          </p>
        )}
        {field('email', 'Email', 'email')}
        {field('name', 'Name', 'text')}
        <div className="field">
          <label htmlFor={`${id}-role`}>Role</label>
          <select
            id={`${id}-role`}
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
            aria-describedby={`${id}-role-hint`}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_NAMES[r] ?? r}
              </option>
            ))}
          </select>
          <p className="muted small" id={`${id}-role-hint`}>
            {ROLE_HINTS[form.role]}
          </p>
        </div>
        {field('password', 'Initial password', 'password', 'At least 12 characters; they can sign in with it at once')}
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add user'}
        </button>
      </form>
    </section>
  );
}
