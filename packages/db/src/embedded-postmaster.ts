// The embedded PostgreSQL server process, in a session of its own.
import { execFileSync, spawn } from 'node:child_process';

export interface PostmasterOptions {
  /** The `postgres` binary. */
  postgres: string;
  dataDir: string;
  port: number;
  flags: readonly string[];
  /** As root: run as the `postgres` OS user (PostgreSQL refuses to run as root). */
  asPostgresUser: boolean;
  onLog: (message: string) => void;
}

export interface Postmaster {
  readonly pid: number;
  /** Whether the process has exited (stopped, or died). */
  exited(): boolean;
  /** Fast shutdown (SIGINT: open sessions are ended, then a clean stop); resolves once it has exited. */
  stop(): Promise<void>;
}

const READY = 'database system is ready to accept connections';

/**
 * Starts `postgres` on `dataDir` in a session and process group of its own (`detached`: setsid).
 * Ctrl+C in a terminal sends SIGINT to the whole foreground process group: a server in the CLI's
 * group would shut down at once, under the workers and pools still using it (whose sessions then
 * end with 57P01, "terminating connection due to administrator command"). Out of the group, the
 * signal reaches only the CLI, which stops the server itself, after everything that uses it.
 * Resolves once the server accepts connections; rejects with its last words if it exits first.
 *
 * @example
 * const pm = await spawnPostmaster({ postgres, dataDir, port: 54329, flags: [], asPostgresUser: false, onLog });
 * await pm.stop();
 */
export function spawnPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const ids = options.asPostgresUser ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  const child = spawn(options.postgres, ['-D', options.dataDir, '-p', String(options.port), ...options.flags], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // English messages, so that readiness can be read from the log.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let done = false;
  const exit = new Promise<void>((ok) =>
    child.once('exit', () => {
      done = true;
      ok();
    }),
  );
  let last = '';
  let seen = '';
  const onOutput = (chunk: Buffer) => {
    const message = chunk.toString('utf8');
    last = message.trim() || last;
    options.onLog(message);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const handle: Postmaster = {
    pid: child.pid as number,
    exited: () => done,
    async stop() {
      if (done) return;
      child.kill('SIGINT');
      await exit;
    },
  };
  return new Promise<Postmaster>((resolve, reject) => {
    const ready = (chunk: Buffer) => {
      // A message may arrive in two chunks: look at what came so far (bounded).
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (!seen.includes(READY)) return;
      child.stderr?.off('data', ready);
      resolve(handle);
    };
    child.stderr?.on('data', ready);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`postgres exited (${signal ?? `code ${code}`}) before it was ready: ${last}`)),
    );
  });
}

/** The `postgres` OS user's uid (`-u`) or gid (`-g`). */
function idOf(flag: '-u' | '-g'): number {
  try {
    return Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }), 10);
  } catch (cause) {
    throw new Error('PostgreSQL cannot run as root, and there is no postgres user to run it as', { cause });
  }
}
