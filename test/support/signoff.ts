import type { WorkflowDefinition } from '@signoff/core';
import { type RunningSignoff, readEnv, startSignoff } from '@signoff/server';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestSignoff extends RunningSignoff {
  url: string;
  testDb: TestDatabase;
  /** Stops everything and drops the test database. */
  close(): Promise<void>;
}

/**
 * A whole Signoff (HTTP on a free port, workers, the built-in local model) on a database of this
 * test file's own.
 *
 * @example
 * const s = await startTestSignoff({ demoItems: 0 });
 * await fetch(`${s.url}/healthz`);
 */
export async function startTestSignoff(
  options: {
    demoItems?: number;
    /** Vendor-onboarding submissions seeded besides `demoItems` support tickets (default 0). */
    demoVendorItems?: number;
    /** Days of simulated past work (finished items, labels) the demo imports, as `signoff start --history-days`. */
    demoHistoryDays?: number;
    workers?: boolean;
    workflows?: WorkflowDefinition[];
    env?: Record<string, string>;
    /** Let Signoff reach its database through this local port (a proxy in front of the test server). */
    databasePort?: number;
  } = {},
): Promise<TestSignoff> {
  const testDb = await createTestDatabase();
  const databaseUrl = new URL(testDb.url);
  if (options.databasePort !== undefined) {
    databaseUrl.hostname = '127.0.0.1';
    databaseUrl.port = String(options.databasePort);
  }
  const env = readEnv({ DATABASE_URL: databaseUrl.toString(), PORT: '0', HOST: '127.0.0.1', ...options.env });
  const s = await startSignoff({
    env,
    api: true,
    workers: options.workers ?? true,
    demoItems: options.demoItems ?? 0,
    demoVendorItems: options.demoVendorItems ?? 0,
    ...(options.demoHistoryDays ? { demoHistoryDays: options.demoHistoryDays } : {}),
    ...(options.workflows ? { workflows: options.workflows } : {}),
  });
  return {
    ...s,
    url: s.url as string,
    testDb,
    async close() {
      await s.stop();
      await testDb.drop();
    },
  };
}

/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let delay = 25;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out: ${options.message ?? 'condition not met'}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}
