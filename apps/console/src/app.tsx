import { Component, lazy, type ReactNode, Suspense } from 'react';
import { AppHeader } from './app-header';
import { ROLE_NAMES } from './format';
import { ItemsScreen } from './items-screen';
import { LoginScreen } from './login-screen';
import { canOpen } from './nav';
import { QueueScreen } from './queue-screen';
import { Link, parseRoute, paths, usePath } from './router';
import { useCan, useSession, useUser } from './session';
import { TaskScreen } from './task-screen';
import { TimelineScreen } from './timeline-screen';

// The trust screens carry the charting library; people who only review never download it.
const TrustScreen = lazy(() => import('./trust-screen').then((m) => ({ default: m.TrustScreen })));
const DashboardsScreen = lazy(() => import('./dashboards-screen').then((m) => ({ default: m.DashboardsScreen })));
const DatasetsScreen = lazy(() => import('./datasets-screen').then((m) => ({ default: m.DatasetsScreen })));
const AdminScreen = lazy(() => import('./admin-screen').then((m) => ({ default: m.AdminScreen })));
const LeadScreen = lazy(() => import('./lead-screen').then((m) => ({ default: m.LeadScreen })));
const ComplianceSearchScreen = lazy(() =>
  import('./compliance-search').then((m) => ({ default: m.ComplianceSearchScreen })),
);
const CompliancePoliciesScreen = lazy(() =>
  import('./compliance-policies').then((m) => ({ default: m.CompliancePoliciesScreen })),
);
const ComplianceAuditScreen = lazy(() =>
  import('./compliance-audit').then((m) => ({ default: m.ComplianceAuditScreen })),
);
const ComplianceTrailScreen = lazy(() =>
  import('./compliance-trail').then((m) => ({ default: m.ComplianceTrailScreen })),
);
const ComplianceRetentionScreen = lazy(() =>
  import('./compliance-retention').then((m) => ({ default: m.ComplianceRetentionScreen })),
);
const TrustStateScreen = lazy(() => import('./trust-state-screen').then((m) => ({ default: m.TrustStateScreen })));

export function App() {
  const { session } = useSession();
  if (!session) return <LoginScreen />;
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppHeader />
      <main id="main" className="app-main">
        <CurrentScreen />
      </main>
    </div>
  );
}

function CurrentScreen() {
  const route = parseRoute(usePath());
  const user = useUser();
  const canQueue = useCan('queue:read');
  const canItems = useCan('item:read');
  // One guard for every screen (nav.ts): a page the role may not open says so, instead of
  // rendering a screen whose calls the server would refuse.
  if (!canOpen(user.role, route.name)) return <Forbidden />;
  switch (route.name) {
    case 'home':
      // People who do not review (data scientists) start from the items they analyse.
      if (canQueue) return <QueueScreen />;
      if (canItems) return <ItemsScreen />;
      if (canOpen(user.role, 'admin-users')) return <AdminRoute tab="users" />;
      return <Message title="Nothing here for your role">Your role has no console screens yet.</Message>;
    case 'items':
      return <ItemsScreen />;
    case 'task':
      return <TaskScreen key={route.taskId} taskId={route.taskId} />;
    case 'timeline':
      return <TimelineScreen key={route.itemId} itemId={route.itemId} />;
    case 'trail':
      return (
        <LazyScreen>
          <ComplianceTrailScreen key={route.itemId} itemId={route.itemId} />
        </LazyScreen>
      );
    case 'trust':
      return (
        <LazyScreen>
          <TrustScreen />
        </LazyScreen>
      );
    case 'trust-state':
      return (
        <LazyScreen key={`${route.workflow}/${route.state}`}>
          <TrustStateScreen workflow={route.workflow} state={route.state} />
        </LazyScreen>
      );
    case 'dashboards':
      return (
        <LazyScreen>
          <DashboardsScreen />
        </LazyScreen>
      );
    case 'datasets':
      return (
        <LazyScreen key={route.snapshotId ?? 'new'}>
          <DatasetsScreen snapshotId={route.snapshotId} />
        </LazyScreen>
      );
    case 'lead':
      return (
        <LazyScreen>
          <LeadScreen />
        </LazyScreen>
      );
    case 'admin-users':
      return <AdminRoute tab="users" />;
    case 'admin-queues':
      return <AdminRoute tab="queues" />;
    case 'admin-keys':
      return <AdminRoute tab="keys" />;
    case 'compliance-search':
      return (
        <LazyScreen>
          <ComplianceSearchScreen />
        </LazyScreen>
      );
    case 'compliance-policies':
      return (
        <LazyScreen>
          <CompliancePoliciesScreen />
        </LazyScreen>
      );
    case 'compliance-audit':
      return (
        <LazyScreen>
          <ComplianceAuditScreen />
        </LazyScreen>
      );
    case 'compliance-retention':
      return (
        <LazyScreen>
          <ComplianceRetentionScreen />
        </LazyScreen>
      );
    case 'not-found':
      return <NotFound path={route.path} />;
  }
}

function AdminRoute({ tab }: { tab: 'users' | 'queues' | 'keys' }) {
  return (
    <LazyScreen>
      <AdminScreen tab={tab} />
    </LazyScreen>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <Message title="Page not found">
      There is nothing at <code>{path}</code>. <Link href={paths.home()}>Go to the start page</Link>.
    </Message>
  );
}

/**
 * A screen loaded on first use. Its chunk can fail to arrive (offline, or a deploy replaced it
 * under an open page): say so, instead of losing the whole console.
 */
class LazyScreen extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override render() {
    if (this.state.failed)
      return <Message title="Cannot load this screen">Check your connection, then reload the page.</Message>;
    return <Suspense fallback={<p className="loading">Loading…</p>}>{this.props.children}</Suspense>;
  }
}

function Forbidden() {
  const user = useUser();
  return (
    <Message title="Not available for your role">
      Your role ({ROLE_NAMES[user.role] ?? user.role}) cannot open this page. Ask an admin if you need it.{' '}
      <Link href={paths.home()}>Go to the start page</Link>.
    </Message>
  );
}

export function Message({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="panel message-panel">
      <h1>{title}</h1>
      <p className="muted">{children}</p>
    </section>
  );
}
