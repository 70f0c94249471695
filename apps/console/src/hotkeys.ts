import { useEffect, useRef } from 'react';

export type HotkeyHandler = (e: KeyboardEvent) => void;

/**
 * Global single-key shortcuts: "n", "c", "1".."9", and "mod+enter" (Ctrl or Cmd + Enter).
 * Plain keys are ignored while the user types in a field, so typing a reason never triggers
 * an action; "mod+enter" works everywhere, including in the reason field.
 */
export function useHotkeys(bindings: Record<string, HotkeyHandler | undefined>, enabled = true): void {
  // The latest handlers without re-subscribing on every render.
  const ref = useRef(bindings);
  ref.current = bindings;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing || e.repeat) return;
      const mod = e.ctrlKey || e.metaKey;
      if (e.key === 'Enter' && mod) {
        const h = ref.current['mod+enter'];
        if (h) {
          e.preventDefault();
          h(e);
        }
        return;
      }
      if (mod || e.altKey || isTyping(e.target)) return;
      const h = ref.current[e.key.toLowerCase()];
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
