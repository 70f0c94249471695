// Ctrl+C in a terminal sends SIGINT to the whole foreground process group. The embedded PostgreSQL
// was in the CLI's group, so it shut down (fast shutdown) while the CLI was still running, and the
// CLI then crashed on an unhandled "terminating connection due to administrator command" (57P01).
// Now the database runs in a session of its own, and on SIGINT the CLI stops the API, the workers
// and its pools, then the database last, and exits 0.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, readPostmasterPid } from '@signoff/db';
import { afterEach, expect, it } from 'vitest';
import { startSignoffProcess } from '../support/processes';
import { waitFor } from '../support/signoff';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Whether any process is left in the process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

it('Ctrl+C stops the API, the workers and the pools, then the embedded PostgreSQL, and exits 0', {
  timeout: 180_000,
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signoff-ctrl-c-'));
  const pgDir = join(dataDir, 'pg');
  cleanups.push(() => {
    // Whatever happened, leave nothing behind.
    for (const pid of [readPostmasterPid(pgDir), cli?.proc.pid])
      if (pid)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
    rmSync(dataDir, { recursive: true, force: true });
  });
  // A process group of its own, as a shell runs a command in a terminal.
  let cli: Awaited<ReturnType<typeof startSignoffProcess>> | undefined;
  cli = await startSignoffProcess(
    ['start'],
    { DATABASE_URL: undefined, SIGNOFF_DATA_DIR: dataDir, PORT: '0' },
    { detached: true },
  );
  const pgid = cli.proc.pid as number;
  const postmaster = readPostmasterPid(pgDir);
  expect(postmaster).toBeDefined();

  // What Ctrl+C does: SIGINT to every process of the foreground group.
  process.kill(-pgid, 'SIGINT');
  const exited = cli.exited;
  await waitFor(async () => cli.proc.exitCode !== null || cli.proc.signalCode !== null, {
    timeoutMs: 60_000,
    message: 'signoff exits after Ctrl+C',
  });
  const out = cli.output();
  expect({ code: await exited, signal: cli.proc.signalCode }, out).toEqual({ code: 0, signal: null });
  expect(out).not.toMatch(/Unhandled|57P01|administrator command|^\s+at /m);
  // The database was stopped, last, by the CLI; nothing is left running.
  const steps = ['stopped API', 'stopped workers', 'stopped database pool', 'stopped embedded PostgreSQL'].map((s) =>
    out.indexOf(`[signoff] ${s}`),
  );
  expect(
    steps.every((i) => i >= 0),
    out,
  ).toBe(true);
  expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  expect(existsSync(join(pgDir, 'postmaster.pid'))).toBe(false);
  expect(isProcessAlive(postmaster as number)).toBe(false);
  // The postmaster led a process group of its own: none of its backends is left either.
  expect(groupAlive(postmaster as number)).toBe(false);
  expect(groupAlive(pgid)).toBe(false);
});
