import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { type Shortcut, useHotkeys } from './hotkeys';

/**
 * The screen's keyboard shortcuts: a button that says "?" opens them, and so does the "?" key.
 * The list is a modal dialog (focus stays inside; Escape or "?" closes it and focus returns).
 */
export function ShortcutHelp({ shortcuts, title }: { shortcuts: readonly Shortcut[]; title: string }) {
  const [open, setOpen] = useState(false);
  useHotkeys({ '?': () => setOpen(true) }, !open);
  return (
    <>
      <button
        type="button"
        className="button button-ghost button-small"
        onClick={() => setOpen(true)}
        aria-keyshortcuts="?"
        aria-haspopup="dialog"
      >
        Keyboard shortcuts{' '}
        <span className="kbd-group" aria-hidden="true">
          <kbd>?</kbd>
        </span>
      </button>
      {open && <ShortcutDialog shortcuts={shortcuts} title={title} onClose={() => setOpen(false)} />}
    </>
  );
}

function ShortcutDialog({
  shortcuts,
  title,
  onClose,
}: {
  shortcuts: readonly Shortcut[];
  title: string;
  onClose: () => void;
}) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key === '?') {
      e.preventDefault();
      onClose();
    }
  };
  return (
    // biome-ignore lint/a11y/noNoninteractiveElementInteractions: "?" closes the dialog as it opened it; Escape is the dialog's own
    <dialog
      ref={ref}
      className="dialog shortcut-dialog"
      aria-labelledby={`${id}-title`}
      onClose={onClose}
      onKeyDown={onKeyDown}
    >
      <h2 id={`${id}-title`} className="dialog-title">
        {title}
      </h2>
      <table className="table shortcut-table">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map((s) => (
            <tr key={s.action}>
              <td className="kbd-group">
                {s.keys.map((k) => (k === '…' ? <span key={k}>–</span> : <kbd key={k}>{k}</kbd>))}
              </td>
              <td>{s.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">Single keys do nothing while you type in a field; Ctrl+Enter still submits.</p>
      <div className="dialog-actions">
        <button type="button" className="button button-secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
