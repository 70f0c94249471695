// Administration: users and their roles, who works which queue, ingestion API keys. Every change
// goes through the admin procedures, which audit it on the `security` stream.
import { useQuery } from '@tanstack/react-query';
import { AdminKeys } from './admin-keys';
import { AdminQueues } from './admin-queues';
import { AdminUsers } from './admin-users';
import { Message } from './app';
import { Link, paths } from './router';
import { useCan } from './session';
import { useTRPC } from './trpc';
import './admin.css';

export type AdminTab = 'users' | 'queues' | 'keys';

const TABS: { tab: AdminTab; label: string; href: string }[] = [
  { tab: 'users', label: 'Users', href: paths.adminUsers() },
  { tab: 'queues', label: 'Queues', href: paths.adminQueues() },
  { tab: 'keys', label: 'API keys', href: paths.adminKeys() },
];

export function AdminScreen({ tab }: { tab: AdminTab }) {
  const canUsers = useCan('user:admin');
  const canKeys = useCan('key:admin');
  const allowed = (t: AdminTab) => (t === 'keys' ? canKeys : canUsers);
  const current = TABS.find((t) => t.tab === tab);
  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Administration</h1>
          <p className="muted">
            Who may do what: users and their roles, queue membership, and the API keys other systems submit with. Every
            change is recorded in the security audit trail.
          </p>
        </div>
      </div>
      <nav aria-label="Administration" className="admin-tabs">
        {TABS.filter((t) => allowed(t.tab)).map((t) => (
          <Link key={t.tab} href={t.href} aria-current={t.tab === tab ? 'page' : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      {!current || !allowed(tab) ? (
        <Message title="Not available for your role">Your role cannot open this page.</Message>
      ) : tab === 'users' ? (
        <AdminUsers />
      ) : tab === 'queues' ? (
        <AdminQueues />
      ) : (
        <AdminKeys />
      )}
    </div>
  );
}

/** The users list, shared by the users and queues tabs. */
export function useUsers() {
  const trpc = useTRPC();
  return useQuery(trpc.users.list.queryOptions());
}
