// Regression: when the embedded PostgreSQL died (kill -9 of its postmaster), the server stayed up
// with /healthz at 503 and ingestion at 500 until a person restarted everything. The server now
// notices the death, restarts PostgreSQL on the same data directory (crash recovery runs) and goes
// on; if it cannot, it exits non-zero for an outside supervisor to act.
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRouter } from '@signoff/api';
import { readPostmasterPid } from '@signoff/db';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterEach, expect, it } from 'vitest';
import { startSignoffProcess, stopWorker, type WorkerProcess } from '../support/processes';
import { waitFor } from '../support/signoff';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server process on an embedded PostgreSQL of its own (no DATABASE_URL), with the demo logins. */
async function startEmbeddedServer(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'signoff-pg-death-'));
  const pgDir = join(dataDir, 'pg');
  let server: WorkerProcess | undefined;
  cleanups.push(async () => {
    if (server) await stopWorker(server);
    // Whatever happened, leave no PostgreSQL behind (a stale pid file names a process long gone).
    const pid = readPostmasterPid(pgDir);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  const started = await startSignoffProcess(['start', '--demo', '--items', '0'], {
    DATABASE_URL: undefined,
    SIGNOFF_DATA_DIR: dataDir,
    PORT: '0',
    ...env,
  });
  server = started;
  return { server: started, url: started.url as string, pgDir };
}

function killPostmaster(pgDir: string): number {
  const pid = readPostmasterPid(pgDir);
  if (!pid) throw new Error(`no postmaster.pid in ${pgDir}`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

const ticket = {
  ticketId: 'T-PG-DEATH',
  channel: 'email',
  language: 'en',
  subject: 'Cannot reset my password',
  body: 'The reset link says it expired.',
  customer: { id: 'C-1', name: 'Ana Lima', email: 'ana@example.com', tier: 'pro', lifetimeValue: 900 },
};

it('restarts a killed embedded PostgreSQL; health, ingestion and workers come back', { timeout: 180_000 }, async () => {
  const { server, url, pgDir } = await startEmbeddedServer();
  expect((await fetch(`${url}/healthz`)).status).toBe(200);

  const dead = killPostmaster(pgDir);
  const restarted = await waitFor(
    async () => {
      const pid = readPostmasterPid(pgDir);
      return pid !== dead && server.output().includes('embedded PostgreSQL restarted') ? pid : undefined;
    },
    { timeoutMs: 60_000, message: 'the server restarts PostgreSQL' },
  );
  expect(restarted).not.toBe(dead);
  expect(server.output()).toContain(`embedded PostgreSQL (pid ${dead}) has died; restarting it`);

  await waitFor(async () => (await fetch(`${url}/healthz`)).status === 200, { message: '/healthz is 200 again' });
  const submitted = await fetch(`${url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'support-triage', input: ticket }),
  });
  expect(submitted.status).toBe(201);
  const { id } = (await submitted.json()) as { id: string };

  const anon = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc` })] });
  const { token } = await anon.auth.login.mutate({
    email: 'admin@demo.signoff',
    password: DEMO_PASSWORD,
    session: 'bearer',
  });
  const admin = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
  // The workers decided it: it finished, or waits for a person with the model's answer.
  const item = await waitFor(
    async () => {
      const detail = await admin.items.get.query({ itemId: id });
      return detail.status !== 'running' ? detail : undefined;
    },
    { timeoutMs: 60_000, message: 'the item is processed' },
  );
  expect(['succeeded', 'waiting']).toContain(item.status);
  expect(item.decisions.length).toBeGreaterThan(0);
  expect(server.proc.exitCode).toBeNull();
});

it('exits with code 1 when PostgreSQL cannot be restarted', { timeout: 180_000 }, async () => {
  const { server, pgDir } = await startEmbeddedServer({ SIGNOFF_EMBEDDED_PG_RESTART_TRIES: '2' });
  // Without PG_VERSION, PostgreSQL refuses the directory: every restart fails.
  renameSync(join(pgDir, 'PG_VERSION'), join(pgDir, 'PG_VERSION.hidden'));
  const dead = killPostmaster(pgDir);
  expect(await server.exited).toBe(1);
  expect(server.output()).toContain(`embedded PostgreSQL (pid ${dead}) has died`);
  expect(server.output()).toContain('embedded PostgreSQL restart 2/2 failed');
  expect(server.output()).toContain('could not be restarted after 2 tries; exiting');
});
