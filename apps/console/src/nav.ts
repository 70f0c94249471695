// Who reaches which screen: one table for the header's links and the routes' guards, so a link is
// shown exactly when its screen would open. The server refuses the procedures behind each screen
// on its own (deny by default); this only keeps people from screens that would refuse them.
import { type Permission, type Role, roleHas } from '@signoff/core/schemas';
import type { Route } from './router';

/** Any one of these permissions opens the screen; an empty list means any signed-in user. */
const DASHBOARDS: readonly Permission[] = ['dashboard:operations', 'metrics:read', 'dashboard:diagnostics'];

export const ROUTE_PERMISSIONS: Record<Route['name'], readonly Permission[]> = {
  home: [],
  items: ['item:read'],
  task: ['task:work'],
  timeline: ['item:read'],
  trail: ['audit:read'],
  trust: ['metrics:read'],
  'trust-state': ['metrics:read'],
  dashboards: DASHBOARDS,
  datasets: ['label:export'],
  lead: ['task:lead'],
  'admin-users': ['user:admin'],
  'admin-queues': ['user:admin'],
  'admin-keys': ['key:admin'],
  'compliance-search': ['audit:read'],
  // Compliance audits the policy history; the people who change policy (trust screens) read it too.
  'compliance-policies': ['audit:read', 'metrics:read'],
  'compliance-audit': ['audit:read'],
  // Compliance reads the retention periods and purges; admins also purge by hand.
  'compliance-retention': ['audit:read'],
  'not-found': [],
};

/** Whether a role may open a route's screen. */
export function canOpen(role: Role, route: Route['name']): boolean {
  const needs = ROUTE_PERMISSIONS[route];
  return needs.length === 0 || needs.some((p) => roleHas(role, p));
}

export interface NavEntry {
  label: string;
  href: string;
  /** The route whose guard decides whether the link shows. */
  route: Route['name'];
  /** Instead of the route's guard (the start page opens for all; its queue only with queue:read). */
  needs?: readonly Permission[];
  /** Whether the link is the current page for this path. */
  current: (path: string) => boolean;
  /** A section of several screens (`COMPLIANCE_TABS`): shown when the role may open one, linking to the first. */
  section?: 'compliance';
}

/**
 * The compliance section's screens, in the order of its tabs (`ComplianceTabs`); each slice adds
 * its line. The main navigation's "Compliance" opens the first one the role may open.
 */
export const COMPLIANCE_TABS: readonly { label: string; href: string; route: Route['name'] }[] = [
  { label: 'Decision search', href: '/compliance/search', route: 'compliance-search' },
  { label: 'Policy history', href: '/compliance/policies', route: 'compliance-policies' },
  { label: 'Verification', href: '/compliance/audit', route: 'compliance-audit' },
  { label: 'Retention', href: '/compliance/retention', route: 'compliance-retention' },
];

/** The compliance screens a role may open, in tab order. */
export function complianceTabs(role: Role) {
  return COMPLIANCE_TABS.filter((t) => canOpen(role, t.route));
}

const startsWith = (prefix: string) => (path: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Every link of the main navigation, in order; `visibleNav` keeps those a role may open. */
export const NAV: readonly NavEntry[] = [
  {
    label: 'Queue',
    href: '/',
    route: 'home',
    needs: ['queue:read'],
    current: (p) => p === '/' || p.startsWith('/tasks/'),
  },
  { label: 'Lead', href: '/lead', route: 'lead', current: startsWith('/lead') },
  { label: 'Items', href: '/items', route: 'items', current: startsWith('/items') },
  { label: 'Trust', href: '/trust', route: 'trust', current: startsWith('/trust') },
  { label: 'Dashboards', href: '/dashboards', route: 'dashboards', current: startsWith('/dashboards') },
  { label: 'Datasets', href: '/datasets', route: 'datasets', current: startsWith('/datasets') },
  {
    label: 'Compliance',
    href: '/compliance',
    route: 'compliance-policies',
    section: 'compliance',
    current: startsWith('/compliance'),
  },
  { label: 'Admin', href: '/admin/users', route: 'admin-users', current: startsWith('/admin') },
];

/**
 * The links a role sees. The start page is the queue for people who see queues and the items list
 * for the others, so "Items" is also current on `/` for them.
 */
export function visibleNav(role: Role): NavEntry[] {
  const queue = roleHas(role, 'queue:read');
  const compliance = complianceTabs(role)[0];
  return NAV.filter((e) =>
    e.section ? compliance !== undefined : e.needs ? e.needs.some((p) => roleHas(role, p)) : canOpen(role, e.route),
  ).map((e) =>
    e.section && compliance
      ? { ...e, href: compliance.href, route: compliance.route }
      : e.route === 'items' && !queue
        ? { ...e, current: (p: string) => p === '/' || startsWith('/items')(p) }
        : e,
  );
}
