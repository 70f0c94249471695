import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

// A few screens do not need a routing library: the path is the state, history is the store.
// The server answers every unknown path with index.html, so deep links and reloads work.

export type Route =
  | { name: 'home' }
  | { name: 'items' }
  | { name: 'task'; taskId: string }
  | { name: 'timeline'; itemId: string }
  | { name: 'trail'; itemId: string }
  | { name: 'trust' }
  | { name: 'trust-state'; workflow: string; state: string }
  | { name: 'dashboards' }
  | { name: 'datasets'; snapshotId?: string }
  | { name: 'lead' }
  | { name: 'admin-users' }
  | { name: 'admin-queues' }
  | { name: 'admin-keys' }
  | { name: 'compliance-search' }
  | { name: 'compliance-policies' }
  | { name: 'compliance-audit' }
  | { name: 'compliance-retention' }
  | { name: 'not-found'; path: string };

const NAVIGATE_EVENT = 'signoff:navigate';

export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'home' };
  if (path === '/items' || path === '/items/') return { name: 'items' };
  const task = path.match(/^\/tasks\/([0-9a-f-]{36})\/?$/i);
  if (task?.[1]) return { name: 'task', taskId: task[1] };
  const item = path.match(/^\/items\/([0-9a-f-]{36})\/?$/i);
  if (item?.[1]) return { name: 'timeline', itemId: item[1] };
  const trail = path.match(/^\/items\/([0-9a-f-]{36})\/trail\/?$/i);
  if (trail?.[1]) return { name: 'trail', itemId: trail[1] };
  if (path === '/trust' || path === '/trust/') return { name: 'trust' };
  if (path === '/dashboards' || path === '/dashboards/') return { name: 'dashboards' };
  const trust = path.match(/^\/trust\/([^/]+)\/([^/]+)\/?$/);
  const workflow = decodeSegment(trust?.[1]);
  const state = decodeSegment(trust?.[2]);
  if (workflow && state) return { name: 'trust-state', workflow, state };
  if (path === '/datasets' || path === '/datasets/') return { name: 'datasets' };
  const dataset = path.match(/^\/datasets\/([0-9a-f-]{36})\/?$/i);
  if (dataset?.[1]) return { name: 'datasets', snapshotId: dataset[1] };
  if (path === '/lead' || path === '/lead/') return { name: 'lead' };
  if (path === '/admin' || path === '/admin/' || path === '/admin/users' || path === '/admin/users/')
    return { name: 'admin-users' };
  if (path === '/admin/queues' || path === '/admin/queues/') return { name: 'admin-queues' };
  if (path === '/admin/keys' || path === '/admin/keys/') return { name: 'admin-keys' };
  if (path === '/compliance/search' || path === '/compliance/search/') return { name: 'compliance-search' };
  if (path === '/compliance/policies' || path === '/compliance/policies/') return { name: 'compliance-policies' };
  if (path === '/compliance/audit' || path === '/compliance/audit/') return { name: 'compliance-audit' };
  if (path === '/compliance/retention' || path === '/compliance/retention/') return { name: 'compliance-retention' };
  return { name: 'not-found', path };
}

/** A path segment decoded, or undefined when it is absent or not valid percent-encoding. */
function decodeSegment(segment: string | undefined): string | undefined {
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export const paths = {
  home: () => '/',
  items: () => '/items',
  task: (taskId: string) => `/tasks/${taskId}`,
  timeline: (itemId: string) => `/items/${itemId}`,
  trail: (itemId: string) => `/items/${itemId}/trail`,
  trust: () => '/trust',
  dashboards: () => '/dashboards',
  trustState: (workflow: string, state: string) =>
    `/trust/${encodeURIComponent(workflow)}/${encodeURIComponent(state)}`,
  datasets: () => '/datasets',
  dataset: (snapshotId: string) => `/datasets/${snapshotId}`,
  lead: () => '/lead',
  adminUsers: () => '/admin/users',
  adminQueues: () => '/admin/queues',
  adminKeys: () => '/admin/keys',
  complianceSearch: () => '/compliance/search',
  compliancePolicies: () => '/compliance/policies',
  complianceAudit: () => '/compliance/audit',
  complianceRetention: () => '/compliance/retention',
};

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  window.scrollTo(0, 0);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** The query string (`?a=1`, or empty), kept in step with navigation: the state of a bookmarkable search. */
export function useSearch(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}

/** Puts `query` in the address bar (a new history entry, so Back returns to the previous search). */
export function setSearch(query: URLSearchParams): void {
  const search = query.size ? `?${query}` : '';
  if (search === window.location.search) return;
  window.history.pushState(null, '', `${window.location.pathname}${search}`);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** An ordinary link (open in new tab works) that navigates in place on a plain click. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}
