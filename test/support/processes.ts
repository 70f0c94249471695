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
 * `signoff <args>` in a process of its own, with `env` over this process's environment (a key set
 * to undefined is removed). Resolves once it reports that it is running, with the URL it printed.
 */
export async function startSignoffProcess(
  args: string[],
  env: Record<string, string | undefined>,
  options: { waitUntilRunning?: boolean } = {},
): Promise<WorkerProcess & { url: string | null }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  const running = () => /Signoff is running(?: at (\S+))?/.exec(out);
  if (options.waitUntilRunning === false) return { proc, output: () => out, exited, url: null };
  await new Promise<void>((ok, fail) => {
    const deadline = setTimeout(() => fail(new Error(`signoff did not start:\n${out}`)), 60_000);
    const check = () => {
      if (running()) {
        clearTimeout(deadline);
        ok();
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', () => {
      clearTimeout(deadline);
      fail(new Error(`signoff exited before starting:\n${out}`));
    });
  });
  return { proc, output: () => out, exited, url: running()?.[1] ?? null };
}

/**
 * A `signoff start --no-api` worker process on `databaseUrl` running the workflows in `modules`.
 * Resolves once it reports that it is running.
 */
export function startWorkerProcess(
  databaseUrl: string,
  modules: string[],
  env: Record<string, string> = {},
  options: { waitUntilRunning?: boolean } = {},
): Promise<WorkerProcess> {
  return startSignoffProcess(
    ['start', '--no-api', '--workflows', ...modules],
    { DATABASE_URL: databaseUrl, SIGNOFF_STEP_HEARTBEAT_SECONDS: '10', SIGNOFF_SUPERVISE_SECONDS: '2', ...env },
    options,
  );
}

/** Stops a worker gracefully (SIGTERM) or not at all (SIGKILL). */
export async function stopWorker(w: WorkerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill(signal);
  await w.exited;
}
