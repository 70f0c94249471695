import { useEffect, useRef } from 'react';

export type HotkeyHandler = (e: KeyboardEvent) => void;

/**
 * Global shortcuts: single keys ("n", "c", "1".."9", "?"), "escape", and "mod+enter" (Ctrl or
 * Cmd + Enter). Plain keys are ignored while the user types in a field, so typing a reason never
 * triggers an action; "mod+enter" works everywhere, including in the reason field, and "escape"
 * in a field leaves it (so the single keys work again) unless a binding takes it.
 */
export function useHotkeys(bindings: Record<string, HotkeyHandler | undefined>, enabled = true): void {
  // The latest handlers without re-subscribing on every render.
  const ref = useRef(bindings);
  ref.current = bindings;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing || e.repeat) return;
      // An open modal dialog (shortcut help, escalation) owns the keyboard.
      if (document.querySelector('dialog[open]')) return;
      const mod = e.ctrlKey || e.metaKey;
      if (e.key === 'Enter' && mod) {
        const h = ref.current['mod+enter'];
        if (h) {
          e.preventDefault();
          h(e);
        }
        return;
      }
      if (e.key === 'Escape') {
        const h = ref.current.escape;
        if (h) {
          e.preventDefault();
          h(e);
        } else if (isTyping(e.target) && e.target instanceof HTMLElement) e.target.blur();
        return;
      }
      if (mod || e.altKey || isTyping(e.target)) return;
      const h = ref.current[e.key.length === 1 ? e.key.toLowerCase() : e.key];
      if (h) {
        e.preventDefault();
        h(e);
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [enabled]);
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement)
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
  return false;
}

/** One shortcut as the help lists it: the keys (as shown on the keycaps) and what they do. */
export interface Shortcut {
  keys: readonly string[];
  action: string;
}

/** The task screen's shortcuts, in the order the help and the README list them. */
export const TASK_SHORTCUTS: readonly Shortcut[] = [
  { keys: ['C'], action: 'Confirm the AI answer' },
  { keys: ['1', '…', '9'], action: 'Pick a label by its number (a correction then goes to its reason)' },
  { keys: ['Ctrl', 'Enter'], action: 'Submit the correction or answer (also while typing the reason)' },
  { keys: ['E'], action: 'Escalate the task, with an optional reason' },
  { keys: ['S'], action: 'Skip: pass the task on and take the next one' },
  { keys: ['R'], action: 'Release the task back to the queue' },
  { keys: ['N'], action: 'Next task (when this one is answered or not yours)' },
  { keys: ['Esc'], action: 'Leave the reason field, so the single keys work again' },
  { keys: ['?'], action: 'Show or hide these shortcuts' },
];

/** The task screen's shortcuts on a structured decision (a record to confirm or correct field by field). */
export const STRUCTURED_TASK_SHORTCUTS: readonly Shortcut[] = [
  { keys: ['C'], action: 'Confirm the AI record (when no field is changed)' },
  { keys: ['J'], action: 'Next field (from outside the form: its first field)' },
  { keys: ['K'], action: 'Previous field' },
  { keys: ['Alt', '↓'], action: 'Next field, also while typing or in a picker' },
  { keys: ['Alt', '↑'], action: 'Previous field, also while typing or in a picker' },
  { keys: ['Enter'], action: 'In a one-line field or a picker: go on to the next field' },
  { keys: ['Alt', 'R'], action: 'Reset the field you are in to the AI value' },
  { keys: ['Ctrl', 'Enter'], action: 'Submit the correction (also while typing)' },
  ...TASK_SHORTCUTS.filter((s) => ['E', 'S', 'R', 'N', 'Esc', '?'].includes(s.keys[0] as string)),
];

/** The queue screen's shortcuts. */
export const QUEUE_SHORTCUTS: readonly Shortcut[] = [
  { keys: ['N'], action: 'Claim the next task' },
  { keys: ['?'], action: 'Show or hide these shortcuts' },
];
