import { useMutation } from '@tanstack/react-query';
import { ROLE_NAMES } from './format';
import { BrandMark } from './login-screen';
import { Link, paths, usePath } from './router';
import { useCan, useCanSeeDashboards, useSession, useUser } from './session';
import { useTRPC } from './trpc';

export function AppHeader() {
  const trpc = useTRPC();
  const user = useUser();
  const { signOut } = useSession();
  const path = usePath();
  const canQueue = useCan('queue:read');
  const canItems = useCan('item:read');
  const canTrust = useCan('metrics:read');
  const canDashboards = useCanSeeDashboards();
  const canDatasets = useCan('label:export');
  const canLead = useCan('task:lead');
  // Sign out locally whatever the server says: a dead session must not trap anyone.
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: () => signOut() }));
  // The start page is the queue for reviewers and the items list for everyone else.
  const onQueue = canQueue && (path === '/' || path.startsWith('/tasks/'));
  const onItems = path.startsWith('/items') || (path === '/' && !canQueue);

  return (
    <header className="app-header">
      <div className="app-header-inner">
        <Link href={paths.home()} className="brand" aria-label="Signoff home">
          <BrandMark />
          <span>Signoff</span>
        </Link>
        <nav aria-label="Main" className="main-nav">
          {canQueue && (
            <Link href={paths.home()} aria-current={onQueue ? 'page' : undefined}>
              Queue
            </Link>
          )}
          {canLead && (
            <Link href={paths.lead()} aria-current={path.startsWith('/lead') ? 'page' : undefined}>
              Lead
            </Link>
          )}
          {canItems && (
            <Link href={paths.items()} aria-current={onItems ? 'page' : undefined}>
              Items
            </Link>
          )}
          {canTrust && (
            <Link href={paths.trust()} aria-current={path.startsWith('/trust') ? 'page' : undefined}>
              Trust
            </Link>
          )}
          {canDashboards && (
            <Link href={paths.dashboards()} aria-current={path.startsWith('/dashboards') ? 'page' : undefined}>
              Dashboards
            </Link>
          )}
          {canDatasets && (
            <Link href={paths.datasets()} aria-current={path.startsWith('/datasets') ? 'page' : undefined}>
              Datasets
            </Link>
          )}
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
