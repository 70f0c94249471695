import { createLocalProvider, type DecisionProvider } from '@signoff/ai';
import type { WorkflowDefinition } from '@signoff/core';
import { createBoss, ensureQueues, startWorkers, submitItem, WorkflowRegistry } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import type { PolicySource } from '@signoff/trust';
import type { PgBoss } from 'pg-boss';
import type { TestDatabase } from './database';
import { waitFor } from './signoff';

export interface TestEngine {
  boss: PgBoss;
  registry: WorkflowRegistry;
  submit(workflow: string, input: unknown, idempotencyKey?: string): Promise<string>;
  /** Waits until the item's status is one of `statuses`, and returns the item. */
  settle(
    itemId: string,
    statuses?: string[],
    timeoutMs?: number,
  ): Promise<{
    status: string;
    context: Record<string, unknown>;
    current_state: string | null;
    visits: Record<string, number>;
    error: unknown;
  }>;
  actions(itemId: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** pg-boss workers in this process, running `workflows` on a test database. */
export async function startTestEngine(
  t: TestDatabase,
  workflows: WorkflowDefinition[],
  options: { workers?: boolean; provider?: DecisionProvider; policies?: PolicySource } = {},
): Promise<TestEngine> {
  const boss = createBoss(t.url, { max: 4 });
  boss.on('error', () => undefined);
  await boss.start();
  await ensureQueues(boss);
  const registry = new WorkflowRegistry();
  for (const w of workflows) await registry.register(t.db, w);
  if (options.workers !== false)
    await startWorkers({
      db: t.db,
      boss,
      registry,
      provider: options.provider ?? createLocalProvider(),
      batchSize: 10,
      concurrency: 2,
      escalation: false,
      // Tests purge when they choose (purgeExpired); an hourly schedule would purge back-dated items mid-test.
      retention: false,
      ...(options.policies ? { policies: options.policies } : {}),
    });
  return {
    boss,
    registry,
    async submit(workflow, input, idempotencyKey) {
      const r = await t.db
        .transaction()
        .execute((trx) => submitItem(trx, { registry, boss }, { workflow, input, idempotencyKey }, SYSTEM));
      return r.id;
    },
    settle(itemId, statuses = ['succeeded', 'rejected', 'failed'], timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const i = await t.db
            .selectFrom('items')
            .select(['status', 'context', 'current_state', 'visits', 'error'])
            .where('id', '=', itemId)
            .executeTakeFirstOrThrow();
          return statuses.includes(i.status) ? i : undefined;
        },
        { timeoutMs, message: `item ${itemId} reaches ${statuses.join('/')}` },
      );
    },
    async actions(itemId) {
      const rows = await t.db
        .selectFrom('audit_events')
        .select(['action', 'data'])
        .where('stream', '=', itemId)
        .orderBy('seq')
        .execute();
      return rows.map((r) => (typeof r.data.state === 'string' ? `${r.action}:${r.data.state}` : r.action));
    },
    async stop() {
      await boss.stop({ graceful: false, close: true });
    },
  };
}
