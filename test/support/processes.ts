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
 * `detached`: in a process group of its own, as a shell runs a command in a terminal, so that
 * `process.kill(-proc.pid, 'SIGINT')` is what Ctrl+C does.
 */
export async function startSignoffProcess(
  args: string[],
  env: Record<string, string | undefined>,
  options: { waitUntilRunning?: boolean; detached?: boolean } = {},
): Promise<WorkerProcess & { url: string | null }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  return spawnSignoff(['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
    cwd: root,
    env: childEnv,
    waitUntilRunning: options.waitUntilRunning ?? true,
    detached: options.detached ?? false,
  });
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

/**
 * `signoff start ARGS` run the way a user runs the command (`apps/cli/bin/signoff.mjs`) from `cwd`,
 * with HTTP on a free port of 127.0.0.1. Resolves once it reports that it is running, with its URL.
 * Without the NODE_PATH that pnpm's script shims export (vitest's too): it lists pnpm's hoisted
 * packages, where CommonJS resolution would find `@signoff/*` and `zod` for any file, which a
 * user's shell does not.
 *
 * @example
 * const server = await startServerProcess(db.url, ['--workflows', './workflow.ts'], { cwd: myFolder });
 * await fetch(`${server.url}/healthz`);
 */
export async function startServerProcess(
  databaseUrl: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<WorkerProcess & { url: string }> {
  const server = await spawnSignoff(
    [join(root, 'apps', 'cli', 'bin', 'signoff.mjs'), 'start', '--port', '0', ...args],
    {
      cwd: options.cwd,
      env: withoutNodePath({ ...process.env, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', ...options.env }),
      waitUntilRunning: true,
    },
  );
  if (!server.url) throw new Error(`server did not say where it listens:\n${server.output()}`);
  return { ...server, url: server.url };
}

/** `env` without NODE_PATH: see `startServerProcess`. */
export function withoutNodePath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_PATH: _, ...rest } = env;
  return rest;
}

async function spawnSignoff(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; waitUntilRunning: boolean; detached?: boolean },
): Promise<WorkerProcess & { url: string | null }> {
  const proc = spawn(process.execPath, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
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
  if (!options.waitUntilRunning) return { proc, output: () => out, exited, url: null };
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

/** Stops a worker gracefully (SIGTERM) or not at all (SIGKILL). */
export async function stopWorker(w: WorkerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill(signal);
  await w.exited;
}
