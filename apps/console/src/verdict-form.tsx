import { type VerdictInput, verdictInput } from '@signoff/core/schemas';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useHotkeys } from './hotkeys';
import { StructuredVerdictForm } from './structured-form';
import { SubmitVerdictButton } from './submit-verdict-button';
import { fieldErrorsOf, messageOf, type TaskView } from './trpc';

type Mode = 'correct' | 'answer' | 'adjudicate';

interface VerdictFormProps {
  task: TaskView;
  disabled: boolean;
  pending: boolean;
  /** The server's refusal of the last verdict, if any. */
  error: unknown;
  onSend: (input: VerdictInput, message: string) => void;
}

/**
 * The verdict: on a classification, a label (`LabelVerdictForm`); on a structured decision (a
 * decide state with an output schema: its task offers no labels), the record's form
 * (`StructuredVerdictForm`).
 */
export function VerdictForm(props: VerdictFormProps) {
  const structured = props.task.structured;
  if (structured && props.task.kind !== 'stuck' && props.task.labels.length === 0)
    return <StructuredVerdictForm {...props} structured={structured} />;
  return <LabelVerdictForm {...props} />;
}

/**
 * Confirm the AI's answer, correct it (another label and a reason), or, when the AI gave none,
 * answer; on an adjudication task, give the final label (one of the reviewers' or another). Keys:
 * C confirms, 1-9 choose a label, Ctrl/Cmd+Enter submits the correction or answer. The screen
 * sends the verdict (`onSend`) and owns what follows it.
 */
function LabelVerdictForm({ task, disabled, pending, error, onSend }: VerdictFormProps) {
  const id = useId();
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const aiLabel = task.decision?.label ?? null;
  const mode: Mode = task.kind === 'adjudication' ? 'adjudicate' : aiLabel ? 'correct' : 'answer';
  const [label, setLabel] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<VerdictInput['verdict'] | null>(null);
  const verdictLabels = new Set(task.verdicts.map((v) => v.label));

  // Field errors, the server's or our own pre-check's, sit next to their fields; anything else
  // (or a refusal without field errors, such as a conflict) goes at the top of the form.
  const serverErrors = Object.fromEntries(fieldErrorsOf(error).map((f) => [f.path, f.message]));
  const errors: Record<string, string | undefined> = { ...serverErrors, ...clientErrors };
  const unplaced = Object.entries(errors).filter(([path]) => path !== 'label' && path !== 'reason');
  const placedServerErrors = Object.keys(serverErrors).some((path) => path === 'label' || path === 'reason');
  const formError =
    error && !placedServerErrors
      ? messageOf(error)
      : unplaced.length
        ? unplaced.map(([, message]) => message).join(' ')
        : null;
  const busy = disabled || pending;

  const send = (choice: 'confirm' | 'correct' | 'answer' | 'adjudicate') => {
    if (busy) return;
    if (choice === 'adjudicate') {
      if (!label) {
        setClientErrors({ label: 'Choose the final label' });
        return;
      }
      // A lead confirms one of the reviewers' labels or answers with another; both name the label.
      const verdict = verdictLabels.has(label) ? 'confirm' : 'answer';
      setClientErrors({});
      setSent(verdict);
      onSend(
        { taskId: task.id, verdict, label, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        `Final label saved: “${label}”.`,
      );
      return;
    }
    const verdict = choice;
    const input = {
      taskId: task.id,
      verdict,
      ...(verdict === 'confirm' ? {} : { label: label ?? undefined, reason: reason.trim() || undefined }),
    };
    // The same schema the server applies: its messages show before a round trip.
    const parsed = verdictInput.safeParse(input);
    if (!parsed.success) {
      setClientErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? 'form'), i.message])));
      if (parsed.error.issues.some((i) => i.path[0] === 'reason')) reasonRef.current?.focus();
      return;
    }
    setClientErrors({});
    setSent(verdict);
    onSend(
      parsed.data,
      verdict === 'confirm'
        ? `Confirmed “${aiLabel}”.`
        : verdict === 'correct'
          ? `Correction saved: “${aiLabel}” → “${parsed.data.label}”.`
          : `Answer saved: “${parsed.data.label}”.`,
    );
  };

  const choose = (value: string, fromKeyboard: boolean) => {
    if (busy || (mode === 'correct' && value === aiLabel)) return;
    setLabel(value);
    setClientErrors(({ label: _dropped, ...rest }) => rest);
    // Choosing a correction by key leads straight on to its reason: 2, type, Ctrl+Enter.
    if (fromKeyboard && mode === 'correct') reasonRef.current?.focus();
  };

  const digitKeys = Object.fromEntries(
    task.labels.slice(0, 9).map((value, i) => [String(i + 1), () => choose(value, true)] as const),
  );
  useHotkeys(
    {
      ...digitKeys,
      c: aiLabel && mode === 'correct' ? () => send('confirm') : undefined,
      'mod+enter': () => send(mode),
    },
    !disabled,
  );

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send(mode);
  };

  return (
    <section className="panel verdict" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Your verdict</h2>
      {formError && (
        <div className="form-error" role="alert">
          {formError}
        </div>
      )}
      {aiLabel && mode === 'correct' && (
        <div className="confirm-block">
          <button
            type="button"
            className="button button-primary button-large button-block button-split"
            onClick={() => send('confirm')}
            disabled={busy}
            aria-keyshortcuts="c"
          >
            <span>
              Confirm <span className="label-chip label-chip-inverse">{aiLabel}</span>
            </span>
            <span className="kbd-group" aria-hidden="true">
              <kbd>C</kbd>
            </span>
          </button>
          <div className="divider">
            <span>or correct it</span>
          </div>
        </div>
      )}
      <form onSubmit={onSubmit} noValidate>
        <fieldset
          className="choices"
          disabled={busy}
          aria-invalid={errors.label ? true : undefined}
          aria-describedby={errors.label ? `${id}-label-error` : undefined}
        >
          <legend>
            {mode === 'correct' ? 'Correct label' : mode === 'adjudicate' ? 'Final label' : 'Your answer'}
          </legend>
          <div className={`choice-grid ${task.labels.some((l) => l.length > 11) ? 'choice-grid-single' : ''}`}>
            {task.labels.map((value, i) => {
              const isAi = value === aiLabel;
              const inputId = `${id}-label-${i}`;
              const saidBy = task.verdicts.filter((v) => v.label === value).map((v) => v.reviewerName);
              return (
                <div
                  key={value}
                  className={`choice ${label === value ? 'choice-selected' : ''} ${isAi ? 'choice-ai' : ''}`}
                >
                  <input
                    type="radio"
                    id={inputId}
                    name={`${id}-label`}
                    value={value}
                    checked={label === value}
                    disabled={isAi && mode === 'correct'}
                    onChange={() => choose(value, false)}
                  />
                  <label htmlFor={inputId}>
                    {value}
                    {saidBy.length > 0 && <span className="choice-said muted small"> · {saidBy.join(', ')}</span>}
                  </label>
                  {isAi && mode === 'correct' ? (
                    <span className="choice-tag">AI</span>
                  ) : (
                    i < 9 && (
                      <span className="choice-key" aria-hidden="true">
                        <kbd>{i + 1}</kbd>
                      </span>
                    )
                  )}
                </div>
              );
            })}
          </div>
          {errors.label && (
            <p className="field-error" id={`${id}-label-error`}>
              {errors.label}
            </p>
          )}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-reason`}>
            {mode === 'correct'
              ? 'Reason for the correction'
              : mode === 'adjudicate'
                ? 'Why this label (optional)'
                : 'Note (optional)'}
          </label>
          <textarea
            id={`${id}-reason`}
            ref={reasonRef}
            rows={3}
            value={reason}
            disabled={busy}
            placeholder={
              mode === 'correct'
                ? 'What did the AI miss? The next person and the training data read this.'
                : 'Add context for the record'
            }
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
          primary={mode === 'answer' || Boolean(label)}
          busy={busy}
          saving={pending && sent !== 'confirm'}
          text={
            mode === 'correct' ? 'Submit correction' : mode === 'adjudicate' ? 'Submit final label' : 'Submit answer'
          }
        />
      </form>
    </section>
  );
}
