import { type VerdictInput, verdictInput } from '@signoff/core/schemas';
import { fieldChanges, structuredLabel, valueAt, withValueAt } from '@signoff/core/structured';
import { type FormEvent, type KeyboardEvent, useId, useMemo, useRef, useState } from 'react';
import { useHotkeys } from './hotkeys';
import { FieldList, type FieldsContext } from './structured-fields';
import { fieldTitle, initialRecord, recordProblems, type StructuredRecord } from './structured-value';
import { SubmitVerdictButton } from './submit-verdict-button';
import { fieldErrorsOf, messageOf, type TaskView } from './trpc';
import './structured-form.css';

type Structured = NonNullable<TaskView['structured']>;
type Mode = 'correct' | 'answer' | 'adjudicate';

/**
 * The verdict on a structured decision: the AI's record as a form generated from the state's
 * schema (an editor per field type, lists as rows, nested objects as fieldsets), each field with
 * the AI's confidence (low ones highlighted) and the routing's flags. Confirm takes the record as
 * it is (C); a correction sends the edited record (`value`) with a reason (Ctrl+Enter). Keys:
 * J/K or Alt+↓/↑ move between fields, Enter in a one-line field goes on to the next, Alt+R puts
 * the field back to the AI's value.
 */
export function StructuredVerdictForm({
  task,
  structured,
  disabled,
  pending,
  error,
  onSend,
}: {
  task: TaskView;
  structured: Structured;
  disabled: boolean;
  pending: boolean;
  error: unknown;
  onSend: (input: VerdictInput, message: string) => void;
}) {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const { fields, aiValue: ai } = structured;
  const mode: Mode = task.kind === 'adjudication' ? 'adjudicate' : ai ? 'correct' : 'answer';
  const [record, setRecord] = useState<StructuredRecord>(() => initialRecord(fields, ai));
  const [reason, setReason] = useState('');
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<VerdictInput['verdict'] | null>(null);
  const changes = useMemo(() => (ai ? fieldChanges(fields, ai, record) : []), [fields, ai, record]);
  const busy = disabled || pending;

  const serverErrors = Object.fromEntries(fieldErrorsOf(error).map((f) => [f.path, f.message]));
  const errors: Record<string, string | undefined> = { ...serverErrors, ...clientErrors };
  const placed = (path: string) => path === 'reason' || path.startsWith('value.');
  const unplaced = Object.entries(errors).filter(([path, m]) => m && !placed(path));
  const formError =
    error && !Object.keys(serverErrors).some(placed)
      ? messageOf(error)
      : unplaced.length
        ? unplaced.map(([, m]) => m).join(' ')
        : null;

  const flagged = useMemo(() => {
    const out: Record<string, string[]> = {};
    // The stored reasons' type predates `fields` (RouteReason has it).
    for (const r of task.reasons as ((typeof task.reasons)[number] & { fields?: string[] })[])
      for (const f of r.fields ?? []) out[f] = [...(out[f] ?? []), r.message || r.rule || r.code.replace(/_/g, ' ')];
    // A field the view calls flagged without a reason naming it (it should not happen) is flagged all the same.
    for (const f of structured.flagged) out[f] ??= ['flagged by the routing'];
    return out;
  }, [task.reasons, structured.flagged]);

  const ctx: FieldsContext = {
    ai,
    record,
    set: (path, v) => {
      setRecord((r) => withValueAt(r, path, v));
      setClientErrors((e) => dropErrorsOf(e, path));
    },
    reset: (path) => {
      setRecord((r) => withValueAt(r, path, structuredClone(ai ? valueAt(ai, path) : undefined)));
      setClientErrors((e) => dropErrorsOf(e, path));
    },
    confidence: structured.fieldConfidence,
    thresholds: structured.thresholds,
    flagged,
    problems: errors,
    idPrefix: id,
    compare: ai !== null,
  };

  const send = (choice: 'confirm' | Mode) => {
    if (busy) return;
    if (choice === 'confirm') {
      if (!ai || changes.length > 0) return;
      setClientErrors({});
      setSent('confirm');
      onSend({ taskId: task.id, verdict: 'confirm' }, 'Confirmed the AI’s record.');
      return;
    }
    const problems = recordProblems(fields, record, ai);
    if (choice === 'correct' && changes.length === 0)
      problems.form = 'You changed no field: correct at least one, or confirm the AI’s record.';
    const verdict =
      choice === 'adjudicate'
        ? task.verdicts.some((v) => v.label === structuredLabel(record))
          ? 'confirm'
          : 'answer'
        : choice;
    const input = {
      taskId: task.id,
      verdict,
      value: record,
      ...(reason.trim() ? { reason: reason.trim() } : {}),
    };
    const parsed = verdictInput.safeParse(input);
    if (!parsed.success) for (const i of parsed.error.issues) problems[String(i.path[0] ?? 'form')] ??= i.message;
    if (Object.keys(problems).length > 0 || !parsed.success) {
      setClientErrors(problems);
      focusFirstProblem(formRef.current, problems, reasonRef.current);
      return;
    }
    setClientErrors({});
    setSent(verdict);
    const names = changes.map((c) => fieldTitle(c.field.split('.').pop() ?? c.field)).join(', ');
    onSend(
      parsed.data,
      choice === 'correct'
        ? `Correction saved: ${changes.length === 1 ? '1 field' : `${changes.length} fields`} changed (${names}).`
        : choice === 'adjudicate'
          ? 'Final record saved.'
          : 'Record saved.',
    );
  };

  useHotkeys(
    {
      c: mode === 'correct' ? () => send('confirm') : undefined,
      j: () => moveFocus(formRef.current, 1),
      k: () => moveFocus(formRef.current, -1),
      'mod+enter': () => send(mode),
    },
    !disabled,
  );

  // Keys inside the form: Alt+↓/↑ move between fields (also in a picker or a text box, where J
  // and K are letters), Enter in a one-line field or a picker goes to the next, Alt+R resets.
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    if (e.nativeEvent.isComposing) return;
    const target = e.target as HTMLElement;
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      moveFocus(formRef.current, e.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyR') {
      const path = target.closest<HTMLElement>('[data-field-path]')?.dataset.fieldPath;
      if (path && ai) {
        e.preventDefault();
        ctx.reset(path);
      }
      return;
    }
    const oneLine =
      target instanceof HTMLSelectElement ||
      (target instanceof HTMLInputElement && !['button', 'submit', 'reset', 'radio'].includes(target.type));
    if (
      e.key === 'Enter' &&
      !e.altKey &&
      !e.ctrlKey &&
      !e.metaKey &&
      !e.shiftKey &&
      oneLine &&
      'nav' in target.dataset
    ) {
      e.preventDefault();
      moveFocus(formRef.current, 1);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send(mode);
  };

  const changedNote =
    changes.length === 0
      ? 'No field changed yet.'
      : `${changes.length === 1 ? '1 field' : `${changes.length} fields`} changed: ${changes.map((c) => c.field).join(', ')}.`;

  return (
    <section className="panel verdict structured-verdict" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Your verdict</h2>
      {formError && (
        <div className="form-error" role="alert">
          {formError}
        </div>
      )}
      {mode === 'correct' && (
        <div className="confirm-block">
          <button
            type="button"
            className="button button-primary button-large button-block button-split"
            onClick={() => send('confirm')}
            disabled={busy || changes.length > 0}
            aria-keyshortcuts="c"
            aria-describedby={changes.length > 0 ? `${id}-confirm-note` : undefined}
          >
            <span>{pending && sent === 'confirm' ? 'Saving…' : 'Confirm the record'}</span>
            <span className="kbd-group" aria-hidden="true">
              <kbd>C</kbd>
            </span>
          </button>
          {changes.length > 0 && (
            <p className="muted small" id={`${id}-confirm-note`}>
              You changed fields: submit the correction, or reset them to confirm.
            </p>
          )}
          <div className="divider">
            <span>or correct it</span>
          </div>
        </div>
      )}
      {mode === 'answer' && <p className="muted">The AI gave no record: fill it in.</p>}
      {mode === 'adjudicate' && (
        <p className="muted">
          Give the final record: it starts as the AI’s; what each reviewer answered is in the verdicts above.
        </p>
      )}
      <form ref={formRef} onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate aria-label="Record">
        <fieldset className="sf-fields" disabled={busy}>
          <legend className="visually-hidden">
            {mode === 'correct' ? 'Correct the record' : mode === 'adjudicate' ? 'Final record' : 'Your record'}
          </legend>
          <FieldList fields={fields} ctx={ctx} />
        </fieldset>
        {ai && (
          <p className="muted small" role="status">
            {changedNote}
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-reason`}>
            {mode === 'correct'
              ? 'Reason for the correction'
              : mode === 'adjudicate'
                ? 'Why this record (optional)'
                : 'Note (optional)'}
          </label>
          <textarea
            id={`${id}-reason`}
            ref={reasonRef}
            rows={2}
            value={reason}
            disabled={busy}
            data-nav=""
            placeholder={mode === 'correct' ? 'What did the AI get wrong?' : 'Add context for the record'}
            onChange={(e) => {
              setReason(e.target.value);
              if (clientErrors.reason) setClientErrors(({ reason: _dropped, ...rest }) => rest);
            }}
            aria-invalid={errors.reason ? true : undefined}
            aria-describedby={errors.reason ? `${id}-reason-error` : undefined}
          />
          {errors.reason && (
            <p className="field-error" id={`${id}-reason-error`}>
              {errors.reason}
            </p>
          )}
        </div>
        <SubmitVerdictButton
          primary={mode !== 'correct' || changes.length > 0}
          busy={busy}
          saving={pending && sent !== 'confirm'}
          text={
            mode === 'correct' ? 'Submit correction' : mode === 'adjudicate' ? 'Submit final record' : 'Submit record'
          }
        />
      </form>
    </section>
  );
}

function dropErrorsOf(errors: Record<string, string>, path: string): Record<string, string> {
  const key = `value.${path}`;
  const out = Object.fromEntries(Object.entries(errors).filter(([k]) => k !== key && !k.startsWith(`${key}.`)));
  delete out.form;
  return out;
}

/** The form's stops, in order: every field's control and the reason. */
function stops(form: HTMLFormElement | null): HTMLElement[] {
  if (!form) return [];
  return [...form.querySelectorAll<HTMLElement>('[data-nav]')].filter(
    (el) => !(el as HTMLInputElement).disabled && el.offsetParent !== null,
  );
}

/** Focus on the next (+1) or previous (−1) stop; from outside the form, its first (or last). */
function moveFocus(form: HTMLFormElement | null, by: 1 | -1): void {
  const all = stops(form);
  if (all.length === 0) return;
  const at = all.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
  const next = at === -1 ? (by === 1 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + by));
  all[next]?.focus();
}

function focusFirstProblem(
  form: HTMLFormElement | null,
  problems: Record<string, string>,
  reason: HTMLTextAreaElement | null,
): void {
  const paths = Object.keys(problems).filter((k) => k.startsWith('value.'));
  for (const el of stops(form)) {
    const path = el.closest<HTMLElement>('[data-field-path]')?.dataset.fieldPath;
    if (path && paths.some((p) => p === `value.${path}` || p.startsWith(`value.${path}.`))) {
      el.focus();
      return;
    }
  }
  if (problems.reason) reason?.focus();
}
