import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { fieldErrorsOf, messageOf } from './trpc';

/**
 * A modal confirmation for an action that changes what the AI may do alone: what will happen, an
 * optional reason for the audit trail, and the server's answer. The browser's own modal dialog
 * keeps focus inside and closes on Escape. Mount it to open it; `onClose` unmounts it.
 *
 * Field errors come from the server's `fieldErrors` (the same schema the procedure applies), next
 * to the reason; any other refusal goes at the top of the dialog.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  pendingLabel,
  reasonLabel,
  reasonPlaceholder = 'Recorded in the policy history and the audit trail',
  tone = 'primary',
  pending,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  /** Ask for a reason under this label; without it the dialog only confirms. */
  reasonLabel?: string;
  /** What the reason is for, shown in the empty field. */
  reasonPlaceholder?: string;
  tone?: 'primary' | 'danger';
  pending: boolean;
  error: unknown;
  onConfirm: (reason: string) => void;
  onClose: () => void;
}) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  // Removing a modal dialog from the page ends it: unmounting needs no close() (which would call onClose).
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const fieldErrors = fieldErrorsOf(error);
  const reasonError = reasonLabel ? fieldErrors.find((f) => f.path === 'reason')?.message : undefined;
  const others = fieldErrors.filter((f) => f.path !== 'reason' || !reasonLabel);
  const formError = error
    ? fieldErrors.length === 0
      ? messageOf(error)
      : others.map((f) => f.message).join(' ') || null
    : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!pending) onConfirm(reason);
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onClose={onClose}
    >
      <form onSubmit={submit} noValidate>
        <h2 id={`${id}-title`} className="dialog-title">
          {title}
        </h2>
        <div id={`${id}-body`} className="dialog-body">
          {children}
        </div>
        {formError && (
          <div className="form-error" role="alert">
            {formError}
          </div>
        )}
        {reasonLabel && (
          <div className="field">
            <label htmlFor={`${id}-reason`}>{reasonLabel}</label>
            <textarea
              id={`${id}-reason`}
              rows={3}
              value={reason}
              disabled={pending}
              placeholder={reasonPlaceholder}
              onChange={(e) => setReason(e.target.value)}
              onKeyDown={(e) => {
                // As in the verdict form: Ctrl/Cmd+Enter sends from the reason field.
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
              aria-invalid={reasonError ? true : undefined}
              aria-describedby={reasonError ? `${id}-reason-error` : undefined}
              autoFocus
            />
            {reasonError && (
              <p className="field-error" id={`${id}-reason-error`}>
                {reasonError}
              </p>
            )}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" onClick={onClose} disabled={pending}>
            Cancel
          </button>
          <button
            type="submit"
            className={`button ${tone === 'danger' ? 'button-danger' : 'button-primary'}`}
            disabled={pending}
          >
            {pending ? pendingLabel : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
