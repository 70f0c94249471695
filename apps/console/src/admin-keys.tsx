import { API_KEY_SCOPES, type ApiKeyScope } from '@signoff/core/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { ConfirmDialog } from './confirm-dialog';
import { useFlash } from './flash';
import { formatDateTime } from './format';
import { fieldErrorsOf, messageOf, type Outputs, useTRPC } from './trpc';

type KeyRow = Outputs['apiKeys']['list'][number];
type CreatedKey = Outputs['apiKeys']['create'];

export const SCOPE_NAMES: Record<ApiKeyScope, { label: string; hint: string }> = {
  'items:submit': { label: 'Submit items', hint: 'POST /api/v1/items' },
  'events:send': { label: 'Send events', hint: 'POST /api/v1/events' },
};

export function AdminKeys() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<KeyRow | null>(null);
  return (
    <div className="admin-layout">
      <section className="panel" aria-labelledby="keys-heading">
        <h2 id="keys-heading">API keys</h2>
        {keys.isPending ? (
          <p className="loading">Loading…</p>
        ) : keys.isError ? (
          <p className="form-error" role="alert">
            {messageOf(keys.error)}
          </p>
        ) : keys.data.length === 0 ? (
          <p className="muted">No keys yet: create one with the form.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id}>
                  <th scope="row">{k.name}</th>
                  <td className="mono small">{k.prefix}…</td>
                  <td className="small">{k.scopes.map((s) => SCOPE_NAMES[s].label).join(', ')}</td>
                  <td className="small">{formatDateTime(k.createdAt)}</td>
                  <td>{k.revokedAt ? <span className="text-danger">Revoked</span> : 'Active'}</td>
                  <td>
                    {!k.revokedAt && (
                      <button
                        type="button"
                        className="button button-small button-secondary"
                        aria-label={`Revoke ${k.name}`}
                        onClick={() => setRevoking(k)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {created ? (
        <ShownOnce created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateKeyForm onCreated={setCreated} />
      )}
      {revoking && <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} />}
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: CreatedKey) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>([...API_KEY_SCOPES]);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async (k) => {
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
        onCreated(k);
      },
    }),
  );
  const errors = Object.fromEntries(fieldErrorsOf(create.error).map((f) => [f.path.split('.')[0], f.message]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, scopes });
  };
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>New API key</h2>
      <form onSubmit={submit} noValidate>
        {create.isError && !Object.keys(errors).length && (
          <p className="form-error" role="alert">
            {messageOf(create.error)}
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            type="text"
            value={name}
            placeholder="What it is for, e.g. helpdesk webhook"
            onChange={(e) => setName(e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? `${id}-name-error` : undefined}
          />
          {errors.name && (
            <p className="field-error" id={`${id}-name-error`}>
              {errors.name}
            </p>
          )}
        </div>
        <fieldset aria-describedby={errors.scopes ? `${id}-scopes-error` : undefined}>
          <legend>Scopes</legend>
          {API_KEY_SCOPES.map((s) => (
            <label key={s} className="field-inline">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes(
                    e.target.checked
                      ? API_KEY_SCOPES.filter((x) => x === s || scopes.includes(x))
                      : scopes.filter((x) => x !== s),
                  )
                }
              />{' '}
              {SCOPE_NAMES[s].label} <span className="muted small mono">{SCOPE_NAMES[s].hint}</span>
            </label>
          ))}
          {errors.scopes && (
            <p className="field-error" id={`${id}-scopes-error`}>
              {errors.scopes}
            </p>
          )}
        </fieldset>
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </form>
    </section>
  );
}

/** The new key, this once: only its hash is kept, so it cannot be shown again. */
function ShownOnce({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('copied');
    } catch {
      // No clipboard (an insecure origin, a denied permission): select it for Ctrl+C instead.
      input.current?.select();
      setCopied('failed');
    }
  };
  return (
    <section className="panel key-once" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} tabIndex={-1} ref={(h) => h?.focus()}>
        Key “{created.name}” created
      </h2>
      <p className="notice" role="note">
        Copy it now: it is shown only this once. Signoff keeps only its hash.
      </p>
      <div className="field">
        <label htmlFor={`${id}-key`}>API key</label>
        <div className="copy-row">
          <input
            id={`${id}-key`}
            ref={input}
            className="mono"
            readOnly
            value={created.key}
            onFocus={(e) => e.target.select()}
          />
          <button type="button" className="button button-secondary" onClick={copy}>
            Copy
          </button>
        </div>
        <p className="muted small" role="status">
          {copied === 'copied'
            ? 'Copied to the clipboard.'
            : copied === 'failed'
              ? 'Selected: press Ctrl+C to copy.'
              : ''}
        </p>
      </div>
      <p className="small">
        Scopes: {created.scopes.map((s) => SCOPE_NAMES[s].label).join(', ')}. Send it as{' '}
        <code>Authorization: Bearer …</code>.
      </p>
      <button type="button" className="button button-primary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}

function RevokeDialog({ apiKey, onClose }: { apiKey: KeyRow; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flash = useFlash();
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: async (r) => {
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
        flash(`Key “${r.key.name}” revoked`);
        onClose();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={`Revoke “${apiKey.name}”?`}
      confirmLabel="Revoke key"
      pendingLabel="Revoking…"
      tone="danger"
      pending={revoke.isPending}
      error={revoke.error}
      onConfirm={() => revoke.mutate({ keyId: apiKey.id })}
      onClose={onClose}
    >
      <p>
        Anything still sending <span className="mono">{apiKey.prefix}…</span> is refused from now on. This cannot be
        undone: create a new key instead.
      </p>
    </ConfirmDialog>
  );
}
