import { describe, expect, it } from 'vitest';
import { decisionSearchFilters, fromSearchParams, itemListInput } from './search-schemas';

const parse = (query: string) => decisionSearchFilters.safeParse(fromSearchParams(new URLSearchParams(query)));

describe('filters from a query string', () => {
  it('reads numbers, booleans and comma-separated lists, and leaves empty values out', () => {
    expect(
      fromSearchParams(
        new URLSearchParams('routes=auto, sampled&confidenceMax=0.9&overridden=false&workflow=&state= x '),
      ),
    ).toEqual({
      routes: ['auto', 'sampled'],
      confidenceMax: 0.9,
      overridden: false,
      state: 'x',
    });
  });

  it('the example parses to what the API takes', () => {
    const r = parse('from=2026-11-01&to=2026-12-01&routes=auto,sampled&confidenceMax=0.9');
    expect(r.success && r.data).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      routes: ['auto', 'sampled'],
      confidenceMax: 0.9,
      confidenceBasis: 'calibrated',
    });
  });

  it('keeps what it cannot read as the text it was, for the schema to name', () => {
    const issues = (query: string) => parse(query).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues('confidenceMax=abc')).toEqual(['confidenceMax: Expected a number from 0 to 1']);
    expect(issues('overridden=yes')).toEqual(['overridden: Expected true or false']);
    expect(issues('routes=auto,manual')).toEqual(['routes.1: Unknown route: choose from auto, review, sampled']);
    expect(issues('confidenceMin=0.5&confidenceMax=0.5')).toEqual([
      'confidenceMax: "confidenceMax" must be above "confidenceMin" (0.5): the range is [min, max)',
    ]);
  });

  it('the items list takes its own filters and refuses the decision-only ones', () => {
    expect(itemListInput.safeParse({ status: 'waiting', state: 'classify', overridden: true }).success).toBe(true);
    expect(itemListInput.safeParse({ reviewer: 'ada@x.org' }).error?.issues[0]?.code).toBe('unrecognized_keys');
  });
});
