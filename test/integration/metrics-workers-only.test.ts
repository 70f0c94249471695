// A process that runs workers without the API serves /metrics on SIGNOFF_METRICS_PORT, and counts
// the transitions and decisions of its own workers; the default access rules hold over real HTTP.

import { readFileSync } from 'node:fs';
import { defineWorkflow } from '@signoff/core';
import { submitItem } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import {
  createHttpApp,
  createSignoffMetrics,
  listenHttp,
  metricsAccess,
  type RunningSignoff,
  readEnv,
  startSignoff,
} from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { parsePrometheusText } from '../support/prometheus-text';
import { waitFor } from '../support/signoff';

const flow = defineWorkflow({
  name: 'metrics-workers',
  input: z.object({ n: z.number() }),
  start: 'work',
  states: {
    work: { kind: 'task', run: (ctx) => ({ doubled: ctx.input.n * 2 }), next: 'check' },
    check: { kind: 'choice', branches: [{ when: (ctx) => ctx.input.n > 0, next: 'ok' }], otherwise: 'no' },
    ok: { kind: 'final', status: 'succeeded' },
    no: { kind: 'final', status: 'rejected' },
  },
});

let t: TestDatabase;
let s: RunningSignoff;
beforeAll(async () => {
  t = await createTestDatabase();
  s = await startSignoff({
    env: readEnv({ DATABASE_URL: t.url, HOST: '127.0.0.1', SIGNOFF_METRICS_PORT: '0' }),
    api: false,
    workers: true,
    workflows: [flow],
  });
});
afterAll(async () => {
  await s?.stop();
  await t?.drop();
});

describe('/metrics of a workers-only process', () => {
  it('is served on its own port and counts what this process’s workers committed', async () => {
    expect(s.url).toBeNull();
    expect(s.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    for (const n of [1, 2, -1])
      await t.db
        .transaction()
        .execute((trx) => submitItem(trx, s, { workflow: 'metrics-workers', input: { n } }, SYSTEM));
    const m = await waitFor(
      async () => {
        const r = await fetch(s.metricsUrl as string);
        expect(r.status).toBe(200);
        const scrape = parsePrometheusText(await r.text());
        return scrape.sum('signoff_items', { workflow: 'metrics-workers', status: 'running' }) === 0 &&
          scrape.sum('signoff_transitions_total', { workflow: 'metrics-workers' }) === 3
          ? scrape
          : undefined;
      },
      { message: 'three items finish and their transitions are counted' },
    );
    expect(m.value('signoff_transitions_total', { workflow: 'metrics-workers', outcome: 'state-result' })).toBe(3);
    expect(m.value('signoff_items', { workflow: 'metrics-workers', status: 'succeeded', state: 'ok' })).toBe(2);
    expect(m.value('signoff_items', { workflow: 'metrics-workers', status: 'rejected', state: 'no' })).toBe(1);
    // The step queue's counts, as pg-boss keeps them.
    expect(m.types.get('signoff_step_jobs')).toBe('gauge');
    for (const state of ['ready', 'deferred', 'active', 'failed'])
      expect(m.value('signoff_step_jobs', { state })).toBeGreaterThanOrEqual(0);
    // No decide state: no decisions, and no model was asked.
    expect(m.sum('signoff_decisions_total')).toBe(0);
    expect(m.sum('signoff_ai_calls_total')).toBe(0);
  });

  it('by default is open on a loopback bind and absent (404) on a network bind without a token', async () => {
    const open = createHttpApp(s, {
      metrics: { metrics: createSignoffMetrics({ defaultMetrics: false }), access: metricsAccess(readEnv({})) },
    });
    const closed = createHttpApp(s, {
      metrics: { metrics: createSignoffMetrics(), access: metricsAccess(readEnv({ HOST: '0.0.0.0' })) },
    });
    const a = await listenHttp(open.fetch, { port: 0, hostname: '127.0.0.1' });
    const b = await listenHttp(closed.fetch, { port: 0, hostname: '127.0.0.1' });
    try {
      const r = await fetch(`${a.url}/metrics`);
      expect(r.status).toBe(200);
      expect(parsePrometheusText(await r.text()).value('signoff_database_up')).toBe(1);
      const no = await fetch(`${b.url}/metrics`);
      expect(no.status).toBe(404);
      expect(await no.text()).not.toContain('signoff_');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('declares every metric the starter Grafana dashboard and docs/metrics.md name', async () => {
    const scrape = parsePrometheusText(await (await fetch(s.metricsUrl as string)).text());
    const families = (text: string) =>
      [...new Set(text.match(/\bsignoff_[a-z_]+/g) ?? [])].map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    const dashboard = JSON.parse(
      readFileSync(new URL('../../docs/grafana/signoff-dashboard.json', import.meta.url), 'utf8'),
    );
    const exprs = (dashboard.panels as { targets?: { expr: string }[] }[]).flatMap((p) => p.targets ?? []);
    expect(exprs.length).toBeGreaterThan(15);
    const used = families(exprs.map((t) => t.expr).join('\n'));
    expect(used.filter((n) => !scrape.types.has(n))).toEqual([]);
    // The docs' table lists every signoff_ family a scrape declares, and nothing else.
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(signoff_[a-z_]+)`/gm)].map((m) => m[1] as string));
    const declared = [...scrape.types.keys()].filter((n) => n.startsWith('signoff_'));
    expect(declared.filter((n) => !documented.has(n))).toEqual([]);
    expect([...documented].filter((n) => !scrape.types.has(n))).toEqual([]);
  });
});
