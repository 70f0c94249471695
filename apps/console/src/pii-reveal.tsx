// Masked personal data in the console (issue 12): the server masks every value it sends
// (`[email]`, `[card …1111]`); a user with pii:read may reveal one field of the item on screen with
// `pii.unmask`, which the server records in the audit log. Offered in the task view and the item
// detail only: where an item is read, inside a `PiiScope`.
import { useMutation } from '@tanstack/react-query';
import { createContext, type FormEvent, type ReactNode, useContext, useId, useState } from 'react';
import { useCan } from './session';
import { messageOf, useTRPC } from './trpc';

/** A mask token: a built-in kind, a card with its last four digits, or a configured pattern's name. */
const MASK_TOKEN = /\[(?:email|phone|iban|card …\d{4}|[a-z][a-z0-9_-]{0,39})\]/;

export function hasMaskToken(text: string): boolean {
  return MASK_TOKEN.test(text);
}

/** A JSON Pointer (RFC 6901) from path segments. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

interface Scope {
  itemId: string;
  /** The JSON Pointer of the value rendered here, or null where no field can be revealed. */
  path: string | null;
}

const PiiScopeContext = createContext<Scope | null>(null);

/** Values rendered inside are fields of this item at `path` (`/input`, `/context/<state>`). */
export function PiiScope({ itemId, path, children }: { itemId: string; path: string; children: ReactNode }) {
  return <PiiScopeContext.Provider value={{ itemId, path }}>{children}</PiiScopeContext.Provider>;
}

/** The same scope one level down (an object's key, an array's index). */
export function PiiField({ name, children }: { name: string | number; children: ReactNode }) {
  const scope = useContext(PiiScopeContext);
  if (!scope || scope.path === null) return children;
  return (
    <PiiScopeContext.Provider value={{ ...scope, path: `${scope.path}${pointer(name)}` }}>
      {children}
    </PiiScopeContext.Provider>
  );
}

/** Whether a masked value here can be revealed by this user: inside a scope, with pii:read. */
export function useCanReveal(): boolean {
  const scope = useContext(PiiScopeContext);
  const allowed = useCan('pii:read');
  return allowed && scope !== null && scope.path !== null;
}

/**
 * A string as the server sent it. When it holds a mask token and the user may reveal, a "Reveal"
 * button opens a small form (an optional reason for the audit log); the revealed value then replaces
 * the masked one, marked as revealed.
 */
export function PiiText({ text }: { text: string }) {
  const scope = useContext(PiiScopeContext);
  const canReveal = useCanReveal() && hasMaskToken(text);
  const trpc = useTRPC();
  const id = useId();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const unmask = useMutation(trpc.pii.unmask.mutationOptions());
  if (!canReveal || !scope?.path) return <>{text}</>;
  const path = scope.path;
  if (unmask.data)
    return (
      <span className="pii-revealed" title={`Revealed: ${path} (recorded in the audit log)`}>
        {String(unmask.data.value)}
        <span className="pii-revealed-badge">revealed</span>
      </span>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    unmask.mutate({ itemId: scope.itemId, path, ...(reason.trim() ? { reason: reason.trim() } : {}) });
  };
  return (
    <span className="pii-masked">
      {text}{' '}
      {!asking ? (
        <button
          type="button"
          className="link-button pii-reveal"
          aria-label={`Reveal ${path}`}
          onClick={() => setAsking(true)}
        >
          Reveal
        </button>
      ) : (
        <form className="pii-reveal-form" onSubmit={submit} aria-label={`Reveal ${path}`}>
          <label htmlFor={`${id}-reason`}>Why (recorded in the audit log)</label>
          <input
            id={`${id}-reason`}
            value={reason}
            maxLength={500}
            placeholder="Optional, e.g. subject access request"
            onChange={(e) => setReason(e.target.value)}
          />
          <button type="submit" className="button button-small" disabled={unmask.isPending}>
            {unmask.isPending ? 'Revealing…' : 'Show value'}
          </button>
          <button type="button" className="link-button" onClick={() => setAsking(false)}>
            Cancel
          </button>
          {unmask.isError && (
            <span className="form-error" role="alert">
              {messageOf(unmask.error)}
            </span>
          )}
        </form>
      )}
    </span>
  );
}

/**
 * JSON as the console shows it (pretty-printed, two spaces), with a reveal button at each masked
 * string when the user may reveal; plain text otherwise.
 */
export function JsonValue({ value, indent = 0 }: { value: unknown; indent?: number }): ReactNode {
  const pad = '  '.repeat(indent + 1);
  const end = '  '.repeat(indent);
  if (typeof value === 'string') return <PiiText text={JSON.stringify(value)} />;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return Array.isArray(value) ? '[]' : '{}';
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return (
    <>
      {open}
      {'\n'}
      {entries.map(([k, v], i) => (
        <span key={String(k)}>
          {pad}
          {Array.isArray(value) ? '' : `${JSON.stringify(k)}: `}
          <PiiField name={k}>
            <JsonValue value={v} indent={indent + 1} />
          </PiiField>
          {i < entries.length - 1 ? ',' : ''}
          {'\n'}
        </span>
      ))}
      {end}
      {close}
    </>
  );
}
