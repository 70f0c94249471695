import { join } from 'node:path';
import { sql } from 'kysely';
import { patientOrder, RELIABILITY_TABLES, reliableOrder } from '../fixtures/reliability-workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { waitFor } from '../support/signoff';

export const WORKFLOW_MODULE = join('test', 'fixtures', 'reliability-workflow.ts');

export interface Rig {
  t: TestDatabase;
  engine: TestEngine;
  /** Submits `count` orders (those whose index is in `poison` fail every charge), in batches. */
  submitOrders(
    count: number,
    options?: { poison?: Set<number>; prefix?: string; workflow?: string },
  ): Promise<string[]>;
  /** Waits until no item is running or waiting; returns counts by status. */
  settled(timeoutMs: number): Promise<Record<string, number>>;
  progress(): Promise<number>;
  close(): Promise<void>;
}

/** A database with the reliability tables and the workflow registered (no workers in this process). */
export async function startRig(): Promise<Rig> {
  const t = await createTestDatabase();
  await sql.raw(RELIABILITY_TABLES).execute(t.db);
  const engine = await startTestEngine(t, [reliableOrder, patientOrder], { workers: false });
  return {
    t,
    engine,
    async submitOrders(count, options = {}) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++)
        ids.push(
          await engine.submit(options.workflow ?? 'reliable-order', {
            order: `${options.prefix ?? 'o'}-${i}`,
            amount: (i * 37) % 2000,
            poison: options.poison?.has(i) ?? false,
          }),
        );
      return ids;
    },
    async settled(timeoutMs) {
      return waitFor(
        async () => {
          const rows = await t.db
            .selectFrom('items')
            .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
            .groupBy('status')
            .execute();
          const counts = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
          return counts.running || counts.waiting ? undefined : counts;
        },
        { timeoutMs, message: 'every item finished' },
      );
    },
    async progress() {
      const r = await t.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['succeeded', 'rejected', 'failed'])
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async close() {
      await engine.stop();
      await t.drop();
    },
  };
}

/** Every side effect applied exactly once per key, and how many deliveries were repeats. */
export async function effectCounts(t: TestDatabase) {
  const r = await sql<{ effects: number; keys: number; deliveries: number; delivered_keys: number }>`
    SELECT (SELECT count(*) FROM rel_effects)::int AS effects,
           (SELECT count(DISTINCT key) FROM rel_effects)::int AS keys,
           (SELECT count(*) FROM rel_deliveries)::int AS deliveries,
           (SELECT count(DISTINCT key) FROM rel_deliveries)::int AS delivered_keys`.execute(t.db);
  return r.rows[0] as { effects: number; keys: number; deliveries: number; delivered_keys: number };
}
