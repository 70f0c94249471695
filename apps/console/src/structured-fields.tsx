import type { FieldConfidenceRecord, FieldSpec } from '@signoff/core/structured';
import { sameFieldValue, valueAt } from '@signoff/core/structured';
import { type ReactNode, useState } from 'react';
import { DraftDiff } from './draft-diff';
import { formatPercent } from './format';
import {
  blankOf,
  emptiedValue,
  fieldTitle,
  isLowConfidence,
  movedRow,
  problemsOf,
  type StructuredRecord,
} from './structured-value';

/** What every editor of the form shares: the record, the AI's, and what is known about each field. */
export interface FieldsContext {
  ai: StructuredRecord | null;
  record: StructuredRecord;
  set(path: string, value: unknown): void;
  reset(path: string): void;
  confidence: Record<string, FieldConfidenceRecord>;
  thresholds: Record<string, number>;
  /** Each flagged field's routing reasons, as the reviewer reads them. */
  flagged: Record<string, string[]>;
  problems: Record<string, string | undefined>;
  /** Prefix of the controls' ids (unique per form). */
  idPrefix: string;
  /** Whether to compare with the AI's values (not when filling in a record the AI could not give). */
  compare: boolean;
}

/** A value as the reviewer reads it beside a field ("AI: …"). */
export function shownValue(v: unknown): string {
  if (v === undefined || v === null || v === '') return '(empty)';
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const rows = v.map((r) =>
      r && typeof r === 'object'
        ? Object.values(r as Record<string, unknown>)
            .map(shownValue)
            .join(' · ')
        : shownValue(r),
    );
    return `${v.length === 1 ? '1 row' : `${v.length} rows`}${rows.length ? `: ${rows.join('; ')}` : ''}`;
  }
  return JSON.stringify(v);
}

/** A schema's fields, in order: leaves as editors, nested objects as fieldsets. */
export function FieldList({ fields, ctx }: { fields: readonly FieldSpec[]; ctx: FieldsContext }) {
  return (
    <>
      {fields.map((f) =>
        f.type === 'object' ? (
          <fieldset key={f.path} className="sf-object">
            <legend>{fieldTitle(f.name)}</legend>
            {f.description && <p className="muted small sf-description">{f.description}</p>}
            <FieldList fields={f.fields ?? []} ctx={ctx} />
          </fieldset>
        ) : (
          <LeafField key={f.path} spec={f} ctx={ctx} />
        ),
      )}
    </>
  );
}

function controlId(ctx: FieldsContext, path: string): string {
  return `${ctx.idPrefix}-f-${path.replace(/\./g, '-')}`;
}

/**
 * One leaf field: its editor, the AI's confidence in it (highlighted when low), whether the
 * routing flagged it, the AI's value and a reset when the reviewer changed it, and its problems.
 */
function LeafField({ spec, ctx }: { spec: FieldSpec; ctx: FieldsContext }) {
  const id = controlId(ctx, spec.path);
  const value = valueAt(ctx.record, spec.path);
  const aiValue = ctx.ai ? valueAt(ctx.ai, spec.path) : undefined;
  const changed = ctx.compare && !sameFieldValue(aiValue, value);
  const conf = ctx.confidence[spec.path];
  const threshold = ctx.thresholds[spec.path];
  const low = isLowConfidence(conf?.confidence, threshold);
  const reasons = ctx.flagged[spec.path];
  const problems = problemsOf(ctx.problems, spec.path);
  const title = fieldTitle(spec.name);
  const describedBy = [
    conf ? `${id}-conf` : '',
    reasons ? `${id}-flag` : '',
    spec.description ? `${id}-desc` : '',
    changed ? `${id}-ai` : '',
    problems.length ? `${id}-error` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const editor = {
    spec,
    id,
    value,
    aiValue,
    title,
    describedBy: describedBy || undefined,
    invalid: problems.length > 0,
    onChange: (v: unknown) => ctx.set(spec.path, v),
    emptied: emptiedValue(ctx.ai, spec.path),
  };
  const classes = ['sf-field', low ? 'sf-low' : '', reasons ? 'sf-flagged' : '', changed ? 'sf-changed' : ''];
  return (
    <div className={classes.filter(Boolean).join(' ')} data-field-path={spec.path}>
      <div className="sf-field-header">
        {spec.type === 'array' ? (
          <span className="sf-label" id={`${id}-label`}>
            {title}
          </span>
        ) : (
          <label className="sf-label" htmlFor={id} id={`${id}-label`}>
            {title}
          </label>
        )}
        {!spec.optional && spec.type !== 'boolean' && (
          <span className="muted small" aria-hidden="true">
            required
          </span>
        )}
        <span className="sf-badges">
          {changed && <span className="sf-badge sf-badge-changed">Changed</span>}
          {reasons && (
            <span className="sf-badge sf-badge-flagged" id={`${id}-flag`}>
              Flagged<span className="visually-hidden">: {reasons.join('; ')}</span>
            </span>
          )}
          {conf && (
            <span
              className={`sf-badge sf-conf ${low ? 'sf-conf-low' : ''}`}
              id={`${id}-conf`}
              title={`${conf.method}${conf.note ? `: ${conf.note}` : ''}`}
            >
              <span className="visually-hidden">AI confidence </span>
              {formatPercent(conf.confidence)}
              {low && <span className="sf-conf-note"> low</span>}
            </span>
          )}
        </span>
      </div>
      {spec.description && (
        <p className="muted small sf-description" id={`${id}-desc`}>
          {spec.description}
        </p>
      )}
      {reasons && (
        <p className="small sf-flag-reasons" aria-hidden="true">
          {reasons.join(' · ')}
        </p>
      )}
      {spec.type === 'array' ? <ArrayEditor {...editor} /> : <ScalarEditor {...editor} />}
      {spec.type === 'text' && changed && typeof aiValue === 'string' && typeof value === 'string' && (
        <DraftDiff ai={aiValue} draft={value} label={title} />
      )}
      {changed && (
        <p className="sf-ai-value small" id={`${id}-ai`}>
          {spec.type === 'text' ? (
            <span className="muted">Draft changed (see above). </span>
          ) : (
            <>
              <span className="muted">AI: </span>
              <span className="sf-ai-text">{shownValue(aiValue)}</span>{' '}
            </>
          )}
          <button
            type="button"
            className="link-button small"
            onClick={() => ctx.reset(spec.path)}
            aria-keyshortcuts="Alt+R"
            aria-label={`Reset ${title} to the AI's value`}
          >
            Reset
          </button>
        </p>
      )}
      {problems.length > 0 && (
        <p className="field-error" id={`${id}-error`}>
          {problems.join(' ')}
        </p>
      )}
    </div>
  );
}

interface EditorProps {
  spec: FieldSpec;
  id: string;
  value: unknown;
  aiValue: unknown;
  title: string;
  describedBy: string | undefined;
  invalid: boolean;
  onChange: (v: unknown) => void;
  /** What the field becomes when emptied (optional fields). */
  emptied: null | undefined;
}

/** The editor of one scalar: text, free text, number, yes/no, a choice from a list. */
function ScalarEditor({ spec, id, value, describedBy, invalid, onChange, emptied, title }: EditorProps) {
  const common = {
    id,
    'aria-describedby': describedBy,
    'aria-invalid': invalid || undefined,
    'aria-required': !spec.optional || undefined,
    'data-nav': '',
  };
  const text = (v: string) => onChange(v === '' && spec.optional ? emptied : v);
  switch (spec.type) {
    case 'text':
      return (
        <textarea
          {...common}
          rows={Math.min(10, Math.max(3, String(value ?? '').split('\n').length + 1))}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => text(e.target.value)}
        />
      );
    case 'number':
    case 'integer':
      return <NumberEditor {...common} spec={spec} value={value} onChange={onChange} emptied={emptied} />;
    case 'boolean':
      if (!spec.optional)
        return (
          <label className="sf-toggle">
            <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
            <span>{value === true ? 'Yes' : 'No'}</span>
          </label>
        );
      return (
        <select
          {...common}
          value={value === true ? 'yes' : value === false ? 'no' : ''}
          onChange={(e) => onChange(e.target.value === '' ? emptied : e.target.value === 'yes')}
        >
          <option value="">(not given)</option>
          <option value="yes">Yes</option>
          <option value="no">No</option>
        </select>
      );
    case 'enum': {
      const current = typeof value === 'string' ? value : '';
      const options = spec.options ?? [];
      return (
        <select
          {...common}
          value={current}
          onChange={(e) => onChange(e.target.value === '' ? emptied : e.target.value)}
        >
          {(spec.optional || !options.includes(current)) && (
            <option value="">{spec.optional ? '(not given)' : `Choose ${title.toLowerCase()}…`}</option>
          )}
          {current && !options.includes(current) && <option value={current}>{current} (not an option)</option>}
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    }
    default:
      return (
        <input
          {...common}
          type="text"
          value={typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)}
          onChange={(e) => text(e.target.value)}
        />
      );
  }
}

/**
 * A number as the reviewer types it: the text is kept while it is not (yet) a number ("12.",
 * "-"), and the record holds the number it reads, or the text itself, which the form reports.
 */
function NumberEditor({
  spec,
  value,
  onChange,
  emptied,
  ...common
}: {
  spec: FieldSpec;
  value: unknown;
  onChange: (v: unknown) => void;
  emptied: null | undefined;
  id: string;
  'aria-describedby': string | undefined;
  'aria-invalid': true | undefined;
  'aria-required': true | undefined;
  'data-nav': string;
}) {
  const read = (raw: string): unknown => {
    const trimmed = raw.trim();
    if (trimmed === '') return spec.optional ? emptied : undefined;
    return Number.isFinite(Number(trimmed)) ? Number(trimmed) : raw;
  };
  const [draft, setDraft] = useState(value === undefined || value === null ? '' : String(value));
  // The record changed from outside (a reset): show it; else what the reviewer typed.
  const text = sameFieldValue(read(draft), value) ? draft : value === undefined || value === null ? '' : String(value);
  return (
    <input
      {...common}
      type="text"
      inputMode={spec.type === 'integer' ? 'numeric' : 'decimal'}
      value={text}
      onChange={(e) => {
        setDraft(e.target.value);
        onChange(read(e.target.value));
      }}
    />
  );
}

/** A list: one row per element (a scalar or a small object), rows added, removed and moved. */
function ArrayEditor({ spec, id, value, describedBy, onChange }: EditorProps) {
  const rows = Array.isArray(value) ? value : [];
  const item = spec.items as FieldSpec;
  const setRow = (i: number, v: unknown) => onChange(rows.map((r, j) => (j === i ? v : r)));
  const rowTitle = (i: number) => `${fieldTitle(spec.name)} row ${i + 1}`;
  return (
    <fieldset className="sf-array" aria-labelledby={`${id}-label`} aria-describedby={describedBy}>
      {rows.length === 0 && <p className="muted small">No rows.</p>}
      <ol className="sf-rows">
        {rows.map((row, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the list; their values change as they are edited.
          <li key={i} className="sf-row">
            <div className="sf-row-body">
              {item.type === 'object' ? (
                <fieldset className="sf-row-object">
                  <legend className="visually-hidden">{rowTitle(i)}</legend>
                  {(item.fields ?? []).map((f) => (
                    <RowCell
                      key={f.path}
                      spec={f}
                      id={`${id}-${i}-${f.path.replace(/\./g, '-')}`}
                      value={valueAt(row, f.path)}
                      onChange={(v) => setRow(i, { ...(row as StructuredRecord), [f.name]: v })}
                    />
                  ))}
                </fieldset>
              ) : (
                <RowCell
                  spec={{ ...item, name: rowTitle(i) }}
                  id={`${id}-${i}`}
                  value={row}
                  onChange={(v) => setRow(i, v)}
                  hideLabel
                />
              )}
            </div>
            <div className="sf-row-actions">
              <button
                type="button"
                className="button button-ghost button-small"
                disabled={i === 0}
                onClick={() => onChange(movedRow(rows, i, -1))}
                aria-label={`Move ${rowTitle(i)} up`}
              >
                ↑
              </button>
              <button
                type="button"
                className="button button-ghost button-small"
                disabled={i === rows.length - 1}
                onClick={() => onChange(movedRow(rows, i, 1))}
                aria-label={`Move ${rowTitle(i)} down`}
              >
                ↓
              </button>
              <button
                type="button"
                className="button button-ghost button-small"
                onClick={() => onChange(rows.filter((_, j) => j !== i))}
                aria-label={`Remove ${rowTitle(i)}`}
              >
                Remove
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button button-secondary button-small"
        onClick={() => onChange([...rows, blankOf({ ...item, optional: false })])}
        data-nav=""
      >
        Add {fieldTitle(spec.name).toLowerCase()} row
      </button>
    </fieldset>
  );
}

/** One cell of a list's row: a scalar editor with its own label. */
function RowCell({
  spec,
  id,
  value,
  onChange,
  hideLabel,
}: {
  spec: FieldSpec;
  id: string;
  value: unknown;
  onChange: (v: unknown) => void;
  hideLabel?: boolean;
}): ReactNode {
  if (spec.type === 'object' || spec.type === 'array')
    return <p className="muted small">{fieldTitle(spec.name)}: edit this value as JSON is not supported here.</p>;
  return (
    <div className="sf-cell">
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : 'small'}>
        {hideLabel ? spec.name : fieldTitle(spec.name)}
      </label>
      <ScalarEditor
        spec={spec}
        id={id}
        value={value}
        aiValue={undefined}
        title={fieldTitle(spec.name)}
        describedBy={undefined}
        invalid={false}
        onChange={onChange}
        emptied={undefined}
      />
    </div>
  );
}
