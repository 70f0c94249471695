import { CSRF_COOKIE, type Permission, type Role, roleHas } from '@signoff/core/schemas';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/**
 * What the console keeps about the signed-in user: the profile, for display and for choosing
 * screens. The session itself is an HttpOnly cookie that scripts (ours or injected) cannot read;
 * the server decides on every call whether it is still good.
 */
export interface Session {
  user: SessionUser;
}

const STORAGE_KEY = 'signoff.session';
const EXPIRED_EVENT = 'signoff:session-expired';

export function readStoredSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session> & { token?: unknown };
    if (!s.user || typeof s.user.role !== 'string') return null;
    // Consoles before the session cookie kept the token here: drop it.
    if ('token' in s) localStorage.setItem(STORAGE_KEY, JSON.stringify({ user: s.user }));
    return { user: s.user };
  } catch {
    return null;
  }
}

/** The session's CSRF token (a readable cookie) for the API client; read on every request. */
export function csrfToken(): string | null {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('=')) || null;
  }
  return null;
}

/** Ends the session from outside React (the query cache saw UNAUTHORIZED). */
export function expireSession(notice: string): void {
  localStorage.removeItem(STORAGE_KEY);
  window.dispatchEvent(new CustomEvent(EXPIRED_EVENT, { detail: notice }));
}

export type SignOutReason = 'user' | 'expired';

interface SessionContextValue {
  session: Session | null;
  /** Why the user is looking at the login form again, when they did not sign out themselves. */
  notice: string | null;
  signIn(session: Session): void;
  signOut(): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({
  children,
  onSignOut,
}: {
  children: ReactNode;
  onSignOut: (reason: SignOutReason) => void;
}) {
  const [session, setSession] = useState<Session | null>(readStoredSession);
  const [notice, setNotice] = useState<string | null>(null);
  const signIn = useCallback((s: Session) => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ user: s.user }));
    setNotice(null);
    setSession(s);
  }, []);
  const signOut = useCallback(() => {
    localStorage.removeItem(STORAGE_KEY);
    setNotice(null);
    setSession(null);
    onSignOut('user');
  }, [onSignOut]);
  useEffect(() => {
    const onExpired = (e: Event) => {
      setNotice((e as CustomEvent<string>).detail);
      setSession(null);
      onSignOut('expired');
    };
    window.addEventListener(EXPIRED_EVENT, onExpired);
    return () => window.removeEventListener(EXPIRED_EVENT, onExpired);
  }, [onSignOut]);
  const value = useMemo(() => ({ session, notice, signIn, signOut }), [session, notice, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** The signed-in user; only for screens rendered behind the login gate. */
export function useUser(): SessionUser {
  const { session } = useSession();
  if (!session) throw new Error('useUser without a session');
  return session.user;
}

export function useCan(permission: Permission): boolean {
  const { session } = useSession();
  return session ? roleHas(session.user.role, permission) : false;
}

/** Whether any dashboard is open to the user: operations, quality or diagnostics. */
export function useCanSeeDashboards(): boolean {
  const operations = useCan('dashboard:operations');
  const quality = useCan('metrics:read');
  const diagnostics = useCan('dashboard:diagnostics');
  return operations || quality || diagnostics;
}
