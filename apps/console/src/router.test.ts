import { describe, expect, it } from 'vitest';
import { parseRoute, paths } from './router';

describe('trust routes', () => {
  it('round-trips a state whose names need encoding', () => {
    const path = paths.trustState('kyc review/v2', 'décide?');
    expect(path).toBe('/trust/kyc%20review%2Fv2/d%C3%A9cide%3F');
    expect(parseRoute(path)).toEqual({ name: 'trust-state', workflow: 'kyc review/v2', state: 'décide?' });
  });

  it('reads the list with or without a trailing slash, and refuses what is not a state', () => {
    expect(parseRoute('/trust')).toEqual({ name: 'trust' });
    expect(parseRoute('/trust/')).toEqual({ name: 'trust' });
    expect(parseRoute('/trust/support-triage/classify/')).toMatchObject({ name: 'trust-state', state: 'classify' });
    expect(parseRoute('/trust/only-a-workflow')).toEqual({ name: 'not-found', path: '/trust/only-a-workflow' });
    // Broken percent-encoding is a page that does not exist, not an exception.
    expect(parseRoute('/trust/%E0%A4%A/classify')).toEqual({ name: 'not-found', path: '/trust/%E0%A4%A/classify' });
  });
});

describe('dashboards route', () => {
  it('reads /dashboards with or without a trailing slash', () => {
    expect(parseRoute(paths.dashboards())).toEqual({ name: 'dashboards' });
    expect(parseRoute('/dashboards/')).toEqual({ name: 'dashboards' });
    expect(parseRoute('/dashboards/x')).toEqual({ name: 'not-found', path: '/dashboards/x' });
  });
});

describe('dataset routes', () => {
  it('reads the list and a snapshot, and refuses what is not a snapshot id', () => {
    expect(parseRoute(paths.datasets())).toEqual({ name: 'datasets' });
    expect(parseRoute('/datasets/')).toEqual({ name: 'datasets' });
    const id = '0b6f3f0e-8c1d-4a57-9a43-3f3b1c1e2d4f';
    expect(parseRoute(paths.dataset(id))).toEqual({ name: 'datasets', snapshotId: id });
    expect(parseRoute('/datasets/latest')).toEqual({ name: 'not-found', path: '/datasets/latest' });
  });
});

describe('lead route', () => {
  it('reads /lead with or without a trailing slash', () => {
    expect(parseRoute(paths.lead())).toEqual({ name: 'lead' });
    expect(parseRoute('/lead/')).toEqual({ name: 'lead' });
    expect(parseRoute('/lead/x')).toEqual({ name: 'not-found', path: '/lead/x' });
  });
});

describe('decision trail route', () => {
  it("reads an item's trail beside its timeline, and refuses what is not an item id", () => {
    const id = '0196e1b2-7c4d-7a10-9b3e-5f2a1c0d9e88';
    expect(paths.trail(id)).toBe(`/items/${id}/trail`);
    expect(parseRoute(paths.trail(id))).toEqual({ name: 'trail', itemId: id });
    expect(parseRoute(`/items/${id}/trail/`)).toEqual({ name: 'trail', itemId: id });
    expect(parseRoute(`/items/${id}`)).toEqual({ name: 'timeline', itemId: id });
    expect(parseRoute('/items/item-1/trail')).toEqual({ name: 'not-found', path: '/items/item-1/trail' });
  });
});
