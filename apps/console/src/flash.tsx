import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';

interface Flash {
  id: number;
  message: string;
  tone: 'success' | 'info';
}

const FlashContext = createContext<((message: string, tone?: Flash['tone']) => void) | null>(null);

/** Short confirmations that outlive a screen change ("Correction saved"), announced politely. */
export function FlashProvider({ children }: { children: ReactNode }) {
  const [flash, setFlash] = useState<Flash | null>(null);
  const show = useCallback((message: string, tone: Flash['tone'] = 'success') => {
    setFlash({ id: Date.now(), message, tone });
  }, []);
  useEffect(() => {
    if (!flash) return;
    const timer = setTimeout(() => setFlash((f) => (f?.id === flash.id ? null : f)), 5000);
    return () => clearTimeout(timer);
  }, [flash]);
  const value = useMemo(() => show, [show]);
  return (
    <FlashContext.Provider value={value}>
      {children}
      <div className="flash-region" role="status" aria-live="polite">
        {flash && (
          <div className={`flash flash-${flash.tone}`} key={flash.id}>
            <span className="flash-icon" aria-hidden="true">
              {flash.tone === 'success' ? '✓' : 'i'}
            </span>
            <span>{flash.message}</span>
            <button type="button" className="flash-close" aria-label="Dismiss" onClick={() => setFlash(null)}>
              ×
            </button>
          </div>
        )}
      </div>
    </FlashContext.Provider>
  );
}

export function useFlash() {
  const ctx = useContext(FlashContext);
  if (!ctx) throw new Error('useFlash outside FlashProvider');
  return ctx;
}
