import { useCallback, useId, useSyncExternalStore } from 'react';

// A reviewer's working preferences, kept in this browser: whether a verdict opens the next task
// at once, and which queue they are working through (so "next" stays in it).

const AUTO_NEXT_KEY = 'signoff.autoNext';
const SCOPE_KEY = 'signoff.claimScope';
const CHANGE_EVENT = 'signoff:work-settings';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('storage', onChange);
  window.addEventListener(CHANGE_EVENT, onChange);
  return () => {
    window.removeEventListener('storage', onChange);
    window.removeEventListener(CHANGE_EVENT, onChange);
  };
}

/** On unless the reviewer turned it off: after a verdict, skip or escalation, open the next task. */
export function readAutoNext(): boolean {
  try {
    return localStorage.getItem(AUTO_NEXT_KEY) !== 'off';
  } catch {
    return true;
  }
}

/** The auto-next setting and its setter; every open screen (and tab) follows a change. */
export function useAutoNext(): [boolean, (on: boolean) => void] {
  const on = useSyncExternalStore(subscribe, readAutoNext);
  const set = useCallback((value: boolean) => {
    try {
      localStorage.setItem(AUTO_NEXT_KEY, value ? 'on' : 'off');
    } catch {
      // Storage refused (private mode, quota): the setting lasts until the page reloads.
    }
    window.dispatchEvent(new Event(CHANGE_EVENT));
  }, []);
  return [on, set];
}

/** The queue the reviewer claimed from last (undefined: any of theirs), for this tab's session. */
export function readClaimScope(): string | undefined {
  try {
    return sessionStorage.getItem(SCOPE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function rememberClaimScope(queue: string | undefined): void {
  try {
    if (queue) sessionStorage.setItem(SCOPE_KEY, queue);
    else sessionStorage.removeItem(SCOPE_KEY);
  } catch {
    // Without storage, "next" claims from any queue.
  }
}

/** The auto-next setting as a checkbox; it applies at once and stays for this browser. */
export function AutoNextToggle() {
  const [on, setOn] = useAutoNext();
  const id = useId();
  return (
    <div className="toggle">
      <input id={id} type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} />
      <label htmlFor={id}>Open the next task after each verdict</label>
    </div>
  );
}
