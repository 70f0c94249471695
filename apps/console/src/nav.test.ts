import { describe, expect, it } from 'vitest';
import { canOpen, visibleNav } from './nav';
import { parseRoute, paths } from './router';

// Written by hand from what each role is for, not read from ROLE_PERMISSIONS.
describe('main navigation per role', () => {
  it('shows each role only the screens it may open', () => {
    const labels = (role: Parameters<typeof visibleNav>[0]) => visibleNav(role).map((e) => e.label);
    expect(labels('reviewer')).toEqual(['Queue', 'Dashboards']);
    expect(labels('lead')).toEqual(['Queue', 'Lead', 'Items', 'Dashboards']);
    expect(labels('compliance')).toEqual(['Queue', 'Items', 'Trust', 'Dashboards', 'Compliance']);
    expect(labels('data_scientist')).toEqual(['Items', 'Trust', 'Dashboards', 'Datasets', 'Compliance']);
    expect(labels('admin')).toEqual([
      'Queue',
      'Lead',
      'Items',
      'Trust',
      'Dashboards',
      'Datasets',
      'Compliance',
      'Admin',
    ]);
  });

  it('marks the start page as Items for those without a queue', () => {
    const items = visibleNav('data_scientist').find((e) => e.label === 'Items');
    expect(items?.current('/')).toBe(true);
    expect(
      visibleNav('lead')
        .find((e) => e.label === 'Items')
        ?.current('/'),
    ).toBe(false);
  });
});

describe('route guards', () => {
  it('lets only admins open the admin screens, and only leads (and admins) the lead screen', () => {
    for (const path of [paths.adminUsers(), paths.adminQueues(), paths.adminKeys(), '/admin']) {
      const route = parseRoute(path).name;
      expect(
        ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) => canOpen(r as 'admin', route)),
      ).toEqual(['admin']);
    }
    expect(
      ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) => canOpen(r as 'admin', 'lead')),
    ).toEqual(['lead', 'admin']);
  });

  it('keeps reviewers from the compliance screens: items, timelines, trust', () => {
    for (const route of ['items', 'timeline', 'trust', 'trust-state', 'datasets'] as const)
      expect(canOpen('reviewer', route)).toBe(false);
    expect(canOpen('reviewer', 'task')).toBe(true);
    expect(canOpen('compliance', 'trust')).toBe(true);
    expect(canOpen('compliance', 'task')).toBe(false);
  });

  it('opens decision search to compliance officers and admins only', () => {
    expect(parseRoute('/compliance/search/')).toEqual({ name: 'compliance-search' });
    expect(
      ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) =>
        canOpen(r as 'admin', 'compliance-search'),
      ),
    ).toEqual(['compliance', 'admin']);
    // Decision search is the section's first screen: the Compliance link opens it for those who may.
    expect(visibleNav('compliance').find((e) => e.label === 'Compliance')?.href).toBe('/compliance/search');
  });

  it('opens the policy history to compliance, data scientists and admins, from the Compliance link', () => {
    expect(parseRoute('/compliance/policies')).toEqual({ name: 'compliance-policies' });
    expect(parseRoute('/compliance/policies/')).toEqual({ name: 'compliance-policies' });
    expect(
      ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) =>
        canOpen(r as 'admin', 'compliance-policies'),
      ),
    ).toEqual(['compliance', 'data_scientist', 'admin']);
    const link = visibleNav('data_scientist').find((e) => e.label === 'Compliance');
    expect(link?.href).toBe('/compliance/policies');
    expect(link?.current('/compliance/policies')).toBe(true);
    expect(link?.current('/trust')).toBe(false);
  });

  it('opens the audit verification screen to compliance and admins only', () => {
    expect(parseRoute('/compliance/audit')).toEqual({ name: 'compliance-audit' });
    expect(parseRoute('/compliance/audit/')).toEqual({ name: 'compliance-audit' });
    expect(
      ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) =>
        canOpen(r as 'admin', 'compliance-audit'),
      ),
    ).toEqual(['compliance', 'admin']);
  });

  it('opens the retention screen to compliance and admins only', () => {
    expect(parseRoute('/compliance/retention')).toEqual({ name: 'compliance-retention' });
    expect(parseRoute('/compliance/retention/')).toEqual({ name: 'compliance-retention' });
    expect(
      ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) =>
        canOpen(r as 'admin', 'compliance-retention'),
      ),
    ).toEqual(['compliance', 'admin']);
  });

  it('reads the admin and lead paths, with or without a trailing slash', () => {
    expect(parseRoute('/admin/users/')).toEqual({ name: 'admin-users' });
    expect(parseRoute('/admin')).toEqual({ name: 'admin-users' });
    expect(parseRoute('/admin/queues')).toEqual({ name: 'admin-queues' });
    expect(parseRoute('/admin/keys/')).toEqual({ name: 'admin-keys' });
    expect(parseRoute('/lead')).toEqual({ name: 'lead' });
    expect(parseRoute('/admin/other')).toEqual({ name: 'not-found', path: '/admin/other' });
  });
});

describe('the decision trail screen', () => {
  it('opens for the roles with audit:read only: compliance and admin', () => {
    expect(
      ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'].filter((r) => canOpen(r as 'admin', 'trail')),
    ).toEqual(['compliance', 'admin']);
  });
});
