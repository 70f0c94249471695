import { Component, lazy, type ReactNode, Suspense } from 'react';
import { AppHeader } from './app-header';
import { ItemsScreen } from './items-screen';
import { LoginScreen } from './login-screen';
import { QueueScreen } from './queue-screen';
import { Link, parseRoute, paths, usePath } from './router';
import { useCan, useCanSeeDashboards, useSession } from './session';
import { TaskScreen } from './task-screen';
import { TimelineScreen } from './timeline-screen';

// The trust screens carry the charting library; people who only review never download it.
const TrustScreen = lazy(() => import('./trust-screen').then((m) => ({ default: m.TrustScreen })));
const DashboardsScreen = lazy(() => import('./dashboards-screen').then((m) => ({ default: m.DashboardsScreen })));
const DatasetsScreen = lazy(() => import('./datasets-screen').then((m) => ({ default: m.DatasetsScreen })));
const LeadScreen = lazy(() => import('./lead-screen').then((m) => ({ default: m.LeadScreen })));
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
  const canQueue = useCan('queue:read');
  const canItems = useCan('item:read');
  const canWork = useCan('task:work');
  const canTrust = useCan('metrics:read');
  const canDashboards = useCanSeeDashboards();
  const canExport = useCan('label:export');
  const canLead = useCan('task:lead');
  switch (route.name) {
    case 'home':
      // People who do not review (data scientists) start from the items they analyse.
      if (canQueue) return <QueueScreen />;
      if (canItems) return <ItemsScreen />;
      return <Message title="Nothing here for your role">Your role has no console screens yet.</Message>;
    case 'items':
      return canItems ? <ItemsScreen /> : <Forbidden />;
    case 'task':
      return canWork ? <TaskScreen key={route.taskId} taskId={route.taskId} /> : <Forbidden />;
    case 'timeline':
      return canItems ? <TimelineScreen key={route.itemId} itemId={route.itemId} /> : <Forbidden />;
    case 'trust':
      return canTrust ? (
        <LazyScreen>
          <TrustScreen />
        </LazyScreen>
      ) : (
        <Forbidden />
      );
    case 'trust-state':
      return canTrust ? (
        <LazyScreen key={`${route.workflow}/${route.state}`}>
          <TrustStateScreen workflow={route.workflow} state={route.state} />
        </LazyScreen>
      ) : (
        <Forbidden />
      );
    case 'dashboards':
      return canDashboards ? (
        <LazyScreen>
          <DashboardsScreen />
        </LazyScreen>
      ) : (
        <Forbidden />
      );
    case 'datasets':
      return canExport ? (
        <LazyScreen key={route.snapshotId ?? 'new'}>
          <DatasetsScreen snapshotId={route.snapshotId} />
        </LazyScreen>
      ) : (
        <Forbidden />
      );
    case 'lead':
      return canLead ? (
        <LazyScreen>
          <LeadScreen />
        </LazyScreen>
      ) : (
        <Forbidden />
      );
    case 'not-found':
      return (
        <Message title="Page not found">
          There is nothing at <code>{route.path}</code>. <Link href={paths.home()}>Go to the start page</Link>.
        </Message>
      );
  }
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
  return (
    <Message title="Not available for your role">
      Your role cannot open this page. <Link href={paths.home()}>Go to the start page</Link>.
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
