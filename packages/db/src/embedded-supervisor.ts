// Watches the embedded PostgreSQL's postmaster and starts it again when it dies.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface PostmasterSupervision {
  /** How often to check that the postmaster is alive, in ms (default 1000). */
  intervalMs?: number;
  /** Restart tries before giving up (default 10), with back-off from 250 ms to 5 s between them. */
  maxTries?: number;
  /** Each death, restart try and restart, in words. */
  log?: (message: string) => void;
  /**
   * Called once if the server cannot be restarted; supervision has stopped. The caller decides what
   * follows (the server process exits non-zero, for an outside supervisor to act).
   */
  onGiveUp(error: Error): void;
}

export interface PostmasterSupervisor {
  /** Stops watching; waits for a restart under way to finish or give up. */
  stop(): Promise<void>;
}

/** The postmaster's pid, from the first line of `<dataDir>/postmaster.pid`, if the file is there. */
export function readPostmasterPid(dataDir: string): number | undefined {
  const file = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const backoffMs = (attempt: number) => Math.min(250 * 2 ** (attempt - 1), 5000);

/**
 * Polls the postmaster of the cluster in `dataDir` every `intervalMs`. When it has died (killed,
 * out of memory), calls `restart` on the same data directory, where PostgreSQL's crash recovery
 * replays the WAL. A restart fails while backends of the dead postmaster still hold its shared
 * memory, so it is tried again after a back-off, up to `maxTries` times; then `onGiveUp`.
 *
 * @example
 * const supervisor = supervisePostmaster(dataDir, () => server.start(), {
 *   log: console.log,
 *   onGiveUp: () => process.exit(1),
 * });
 * await supervisor.stop();
 */
export function supervisePostmaster(
  dataDir: string,
  restart: () => Promise<void>,
  options: PostmasterSupervision,
): PostmasterSupervisor {
  const log = options.log ?? (() => undefined);
  const maxTries = options.maxTries ?? 10;
  let pid = readPostmasterPid(dataDir);
  let state: 'watching' | 'restarting' | 'stopped' = 'watching';
  let restarting: Promise<void> = Promise.resolve();
  const stopping = new AbortController();

  const restartLoop = async () => {
    log(`embedded PostgreSQL (pid ${pid}) has died; restarting it in ${dataDir}`);
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxTries; attempt++) {
      try {
        await restart();
        pid = readPostmasterPid(dataDir);
        log(`embedded PostgreSQL restarted (pid ${pid}) after ${attempt} ${attempt === 1 ? 'try' : 'tries'}`);
        if (state === 'restarting') state = 'watching';
        return;
      } catch (e) {
        lastError = e;
        log(`embedded PostgreSQL restart ${attempt}/${maxTries} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (attempt === maxTries) break;
      const waited = await delay(backoffMs(attempt), true, { signal: stopping.signal }).catch(() => false);
      if (!waited || state === 'stopped') return;
    }
    state = 'stopped';
    clearInterval(timer);
    options.onGiveUp(
      new Error(`Embedded PostgreSQL in ${dataDir} could not be restarted after ${maxTries} tries`, {
        cause: lastError,
      }),
    );
  };

  const timer = setInterval(() => {
    if (state !== 'watching' || pid === undefined || isProcessAlive(pid)) return;
    state = 'restarting';
    restarting = restartLoop();
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    async stop() {
      state = 'stopped';
      clearInterval(timer);
      stopping.abort();
      await restarting;
    },
  };
}
