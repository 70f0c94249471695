import { verdictInput } from '@signoff/core/schemas';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useHotkeys } from './hotkeys';
import { fieldErrorsOf, messageOf, type TaskView, useTRPC } from './trpc';

type Verdict = 'confirm' | 'correct' | 'answer';

/**
 * Confirm the AI's answer, correct it (another label and a reason), or, when the AI gave none,
 * answer. Keys: C confirms, 1-9 choose a label, Ctrl/Cmd+Enter submits the correction or answer.
 */
export function VerdictForm({
  task,
  disabled,
  onSubmitted,
}: {
  task: TaskView;
  disabled: boolean;
  onSubmitted: (message: string) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const aiLabel = task.decision?.label ?? null;
  const mode: Verdict = aiLabel ? 'correct' : 'answer';
  const [label, setLabel] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const submit = useMutation(trpc.tasks.submit.mutationOptions());

  // Field errors, the server's or our own pre-check's, sit next to their fields; anything else
  // (or a refusal without field errors, such as a conflict) goes at the top of the form.
  const serverErrors = Object.fromEntries(fieldErrorsOf(submit.error).map((f) => [f.path, f.message]));
  const errors: Record<string, string | undefined> = { ...serverErrors, ...clientErrors };
  const unplaced = Object.entries(errors).filter(([path]) => path !== 'label' && path !== 'reason');
  const placedServerErrors = Object.keys(serverErrors).some((path) => path === 'label' || path === 'reason');
  const formError =
    submit.error && !placedServerErrors
      ? messageOf(submit.error)
      : unplaced.length
        ? unplaced.map(([, message]) => message).join(' ')
        : null;
  const busy = disabled || submit.isPending;

  const send = (verdict: Verdict) => {
    if (busy) return;
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
    submit.mutate(parsed.data, {
      onSuccess: (r) =>
        onSubmitted(
          verdict === 'confirm'
            ? `Confirmed “${r.label}”.`
            : verdict === 'correct'
              ? `Correction saved: “${aiLabel}” → “${r.label}”.`
              : `Answer saved: “${r.label}”.`,
        ),
    });
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
      c: aiLabel ? () => send('confirm') : undefined,
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
      {aiLabel && (
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
          <legend>{mode === 'correct' ? 'Correct label' : 'Your answer'}</legend>
          <div className={`choice-grid ${task.labels.some((l) => l.length > 11) ? 'choice-grid-single' : ''}`}>
            {task.labels.map((value, i) => {
              const isAi = value === aiLabel;
              const inputId = `${id}-label-${i}`;
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
                  <label htmlFor={inputId}>{value}</label>
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
          <label htmlFor={`${id}-reason`}>{mode === 'correct' ? 'Reason for the correction' : 'Note (optional)'}</label>
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
        <button
          type="submit"
          className={`button button-block button-split ${mode === 'answer' || label ? 'button-primary' : 'button-secondary'}`}
          disabled={busy}
          aria-keyshortcuts="Control+Enter"
        >
          <span>
            {submit.isPending && submit.variables?.verdict !== 'confirm'
              ? 'Saving…'
              : mode === 'correct'
                ? 'Submit correction'
                : 'Submit answer'}
          </span>
          <span className="kbd-group" aria-hidden="true">
            <kbd>Ctrl</kbd>
            <kbd>Enter</kbd>
          </span>
        </button>
      </form>
    </section>
  );
}
