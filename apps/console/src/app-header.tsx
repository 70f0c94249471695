import { useMutation } from '@tanstack/react-query';
import { ROLE_NAMES } from './format';
import { BrandMark } from './login-screen';
import { visibleNav } from './nav';
import { Link, paths, usePath } from './router';
import { useSession, useUser } from './session';
import { useTRPC } from './trpc';

export function AppHeader() {
  const trpc = useTRPC();
  const user = useUser();
  const { signOut } = useSession();
  const path = usePath();
  // Sign out locally whatever the server says: a dead session must not trap anyone.
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: () => signOut() }));

  return (
    <header className="app-header">
      <div className="app-header-inner">
        <Link href={paths.home()} className="brand" aria-label="Signoff home">
          <BrandMark />
          <span>Signoff</span>
        </Link>
        <nav aria-label="Main" className="main-nav">
          {visibleNav(user.role).map((e) => (
            <Link key={e.href} href={e.href} aria-current={e.current(path) ? 'page' : undefined}>
              {e.label}
            </Link>
          ))}
        </nav>
        <div className="user-menu">
          <div className="user-identity">
            <span className="user-name">{user.name}</span>
            <span className="role-badge">{ROLE_NAMES[user.role] ?? user.role}</span>
          </div>
          <button
            type="button"
            className="button button-ghost"
            onClick={() => logout.mutate()}
            disabled={logout.isPending}
          >
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
