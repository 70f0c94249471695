import { describe, expect, it } from 'vitest';
import { windowOf } from './inputs';
import { bucketsBetween } from './sql-parts';

describe('buckets', () => {
  it('weeks start on Monday (ISO 8601), also for a window starting on a Sunday', () => {
    // 2026-01-04 is a Sunday: its week starts on Monday 2025-12-29.
    const w = { from: new Date('2026-01-04T10:00:00Z'), to: new Date('2026-01-13T00:00:00Z') };
    expect(bucketsBetween(w, 'week')).toEqual(['2025-12-29', '2026-01-05', '2026-01-12']);
  });

  it('days and hours, `to` excluded', () => {
    expect(
      bucketsBetween({ from: new Date('2026-01-05T23:00:00Z'), to: new Date('2026-01-07T00:00:00Z') }, 'day'),
    ).toEqual(['2026-01-05', '2026-01-06']);
    expect(
      bucketsBetween({ from: new Date('2026-01-05T22:30:00Z'), to: new Date('2026-01-06T00:00:00Z') }, 'hour'),
    ).toEqual(['2026-01-05T22:00Z', '2026-01-05T23:00Z']);
  });
});

describe('windows', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  it('defaults to the 30 days before now', () => {
    expect(windowOf({}, now)).toEqual({ from: new Date('2026-01-30T00:00:00Z'), to: now });
  });
  it('30 days before a given end', () => {
    expect(windowOf({ to: new Date('2026-02-01T00:00:00Z') }, now).from).toEqual(new Date('2026-01-02T00:00:00Z'));
  });
  it('a start in the future still spans a day', () => {
    const from = new Date('2026-04-01T00:00:00Z');
    expect(windowOf({ from }, now)).toEqual({ from, to: new Date('2026-04-02T00:00:00Z') });
  });
});
