import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface WorkerProcess {
  proc: ChildProcess;
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/**
 * A `signoff start --no-api` worker process on `databaseUrl` running the workflows in `modules`.
 * Resolves once it reports that it is running.
 */
export async function startWorkerProcess(
  databaseUrl: string,
  modules: string[],
  env: Record<string, string> = {},
  options: { waitUntilRunning?: boolean } = {},
): Promise<WorkerProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'apps/cli/src/main.ts', 'start', '--no-api', '--workflows', ...modules],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        SIGNOFF_STEP_HEARTBEAT_SECONDS: '10',
        SIGNOFF_SUPERVISE_SECONDS: '2',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  if (options.waitUntilRunning === false) return { proc, output: () => out, exited };
  await new Promise<void>((ok, fail) => {
    const deadline = setTimeout(() => fail(new Error(`worker did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('Signoff is running')) {
        clearTimeout(deadline);
        ok();
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', () => {
      clearTimeout(deadline);
      fail(new Error(`worker exited before starting:\n${out}`));
    });
  });
  return { proc, output: () => out, exited };
}

/** Stops a worker gracefully (SIGTERM) or not at all (SIGKILL). */
export async function stopWorker(w: WorkerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill(signal);
  await w.exited;
}
