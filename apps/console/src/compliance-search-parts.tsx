// What decision search and the items list share: filters kept in the address bar (a search is a
// link to bookmark or hand on), keyset pages, and the form fields both use.
import { DECISION_ROUTES, fromSearchParams } from '@signoff/core/search';
import { type ReactNode, useCallback, useMemo, useState } from 'react';
import { setSearch, useSearch } from './router';

/** A filter form's values, as the strings its inputs hold (and the URL carries). */
export type Draft = Record<string, string>;

/** What the console needs of a shared zod schema (it imports zod only through @signoff/core). */
interface Schema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/**
 * The filters in the URL, parsed by the shared schema: the input to send, or the problems to show
 * by field. `draft` is what the form shows; `apply` puts it in the URL (empty fields left out).
 */
export function useUrlFilters<T>(schema: Schema<T>, fields: readonly string[]) {
  const search = useSearch();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const fromUrl = useMemo(() => Object.fromEntries(fields.map((f) => [f, params.get(f) ?? ''])), [fields, params]);
  const [draft, setDraft] = useState<Draft>(fromUrl);
  const [seen, setSeen] = useState(search);
  if (seen !== search) {
    // Back, forward or a link changed the URL: the form follows it.
    setSeen(search);
    setDraft(fromUrl);
  }
  const parsed = useMemo(() => schema.safeParse(fromSearchParams(params)), [schema, params]);
  const issues = useMemo(() => {
    const byField = new Map<string, string>();
    if (!parsed.success) for (const i of parsed.error.issues) byField.set(String(i.path[0] ?? 'form'), i.message);
    return byField;
  }, [parsed]);
  const apply = useCallback(
    (values: Draft) => {
      const next = new URLSearchParams();
      for (const f of fields) {
        const v = values[f]?.trim();
        if (v) next.set(f, v);
      }
      setSearch(next);
    },
    [fields],
  );
  const filterQuery = useMemo(() => {
    const q = new URLSearchParams();
    for (const f of fields) {
      const v = params.get(f);
      if (v) q.set(f, v);
    }
    return q;
  }, [fields, params]);
  return {
    draft,
    set: (field: string, value: string) => setDraft((d) => ({ ...d, [field]: value })),
    setAll: setDraft,
    apply,
    input: parsed.success ? parsed.data : undefined,
    issues,
    /** The URL's filters alone, for an export link. */
    filterQuery,
  };
}

/**
 * Keyset pages: the cursors of the pages before this one, so "Newer" goes back exactly. `key`
 * (the filters) starts again from the first page when it changes.
 */
export function useCursorPages(key: string) {
  const [state, setState] = useState<{ key: string; cursors: string[] }>({ key, cursors: [] });
  const cursors = state.key === key ? state.cursors : [];
  return {
    cursor: cursors.at(-1),
    page: cursors.length + 1,
    older: (next: string) => setState({ key, cursors: [...cursors, next] }),
    newer: () => setState({ key, cursors: cursors.slice(0, -1) }),
  };
}

export function Pager({
  label,
  nextCursor,
  pages,
  loading,
  summary,
}: {
  label: string;
  nextCursor: string | null | undefined;
  pages: ReturnType<typeof useCursorPages>;
  /** The rows shown are still the previous page's (placeholder data) while this one loads. */
  loading: boolean;
  summary?: ReactNode;
}) {
  return (
    <nav className="pager" aria-label={`${label} pages`} aria-busy={loading || undefined}>
      <span className="muted">
        {loading ? (
          `Loading page ${pages.page}…`
        ) : (
          <>
            Page {pages.page}
            {summary}
          </>
        )}
      </span>
      <button
        type="button"
        className="button button-secondary button-small"
        disabled={loading || pages.page <= 1}
        onClick={pages.newer}
      >
        ← Newer
      </button>
      <button
        type="button"
        className="button button-secondary button-small"
        disabled={loading || !nextCursor}
        onClick={() => nextCursor && pages.older(nextCursor)}
      >
        Older →
      </button>
    </nav>
  );
}

/** A labelled input (or select) with the schema's message under it when the URL's value is refused. */
function FilterField({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="field search-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Route checkboxes: `routes` is a comma-separated list of auto, review, sampled. */
function RouteChoices({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const chosen = new Set(value.split(',').filter(Boolean));
  return (
    <fieldset className="search-routes">
      <legend>Route</legend>
      {DECISION_ROUTES.map((r) => (
        <label key={r} className="checkbox">
          <input
            type="checkbox"
            checked={chosen.has(r)}
            onChange={(e) => {
              const next = new Set(chosen);
              if (e.target.checked) next.add(r);
              else next.delete(r);
              onChange(DECISION_ROUTES.filter((x) => next.has(x)).join(','));
            }}
          />
          {r}
        </label>
      ))}
    </fieldset>
  );
}

/**
 * The form's inputs, each bound to one filter of `f` (its draft value, and the schema's message
 * for it): a text or date or number input, a select of choices, an any / yes / no select.
 */
export function filterInputs(f: ReturnType<typeof useUrlFilters>, id: string) {
  const text = (field: string, label: string, props: Record<string, string> = {}) => (
    <FilterField id={`${id}-${field}`} label={label} error={f.issues.get(field)}>
      <input
        id={`${id}-${field}`}
        value={f.draft[field] ?? ''}
        onChange={(e) => f.set(field, e.target.value)}
        aria-invalid={f.issues.has(field) || undefined}
        {...props}
      />
    </FilterField>
  );
  const select = (field: string, label: string, choices: readonly string[] | undefined, all: string) => (
    <FilterField id={`${id}-${field}`} label={label} error={f.issues.get(field)}>
      <select id={`${id}-${field}`} value={f.draft[field] ?? ''} onChange={(e) => f.set(field, e.target.value)}>
        <option value="">{all}</option>
        {(choices ?? []).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </FilterField>
  );
  const yesNo = (field: string, label: string, yes: string, no: string) => (
    <FilterField id={`${id}-${field}`} label={label} error={f.issues.get(field)}>
      <YesNoSelect
        id={`${id}-${field}`}
        value={f.draft[field] ?? ''}
        onChange={(v) => f.set(field, v)}
        yes={yes}
        no={no}
      />
    </FilterField>
  );
  const routes = () => (
    <div className="field search-field">
      <RouteChoices value={f.draft.routes ?? ''} onChange={(v) => f.set('routes', v)} />
      {f.issues.get('routes') && <p className="field-error">{f.issues.get('routes')}</p>}
    </div>
  );
  return { text, select, yesNo, routes };
}

/** Any / yes / no, as '' / 'true' / 'false'. */
function YesNoSelect({
  id,
  value,
  onChange,
  yes,
  no,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  yes: string;
  no: string;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Any</option>
      <option value="true">{yes}</option>
      <option value="false">{no}</option>
    </select>
  );
}
