import { readFileSync } from 'node:fs';
import pg from 'pg';

/** What every peer but pgbench reports. Times in milliseconds unless named otherwise. */
export interface PeerResult {
  kind: 'peer';
  peer: string;
  items: number;
  /** Items finished per second, from the first job picked up to the last item done. */
  itemsPerSecond: number;
  /** Item latency from submission (or start, for peers started directly) to done. */
  latency: Percentiles;
  /** Item latency from its first step being picked up to done: the work, without the backlog wait. */
  pickupLatency: Percentiles;
  /** `xact_commit` of the peer's database over enqueue + processing, per item. */
  commitsPerItem: number;
  /** Seconds spent enqueueing / submitting before processing started (0 when started directly). */
  enqueueSeconds: number;
  /** Seconds from the first pick-up to the last item done. */
  processSeconds: number;
  /** CPU over the processing window. */
  cpu: CpuSplit;
  /** Set by the parent: the peer's whole process, set-up and tear-down included. */
  wallSeconds: number;
  /** Set by the parent: the machine's 1-minute load average when the peer started. */
  loadBefore: number;
  config: string;
  /** Peer-specific evidence (wait events, statements per transition, ...), shown in the report. */
  details: Record<string, unknown>;
}

export interface PgbenchResult {
  kind: 'pgbench';
  peer: 'pgbench';
  runs: { clients: number; tps: number }[];
  wallSeconds: number;
  loadBefore: number;
  config: string;
  /** Why it did not run, when it did not. */
  skipped?: string;
}

export interface FailedResult {
  kind: 'failed';
  peer: string;
  error: string;
  wallSeconds: number;
  loadBefore: number;
}

/** The fields the parent process sets on a peer's result. */
export type SetByParent = 'wallSeconds' | 'loadBefore';

export type BenchResult = PeerResult | PgbenchResult | FailedResult;

export interface Percentiles {
  p50: number;
  p95: number;
}

export interface PeerContext {
  /** Connection string of the peer's own fresh database. */
  url: string;
  /** Connection string of a maintenance database on the same server (for pg_stat_* reads). */
  adminUrl: string;
  database: string;
  items: number;
  /** Epoch ms after which the peer must give up. */
  deadline: number;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(peer: string): string {
  return `bench_${peer}_${Date.now()}`;
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'signoff-bench-admin' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl: string, database: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${database}"`));
}

/** Drops the database even if a killed peer left connections behind. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/**
 * Committed transactions of a database so far. Read from the maintenance database so the read
 * itself is not counted. Backends report their counts at most once a second and at exit, so a
 * final reading is taken after the peer closed its connections (see `waitForDisconnect`).
 */
export async function commitsOf(adminUrl: string, database: string): Promise<number> {
  return withClient(adminUrl, async (c) => {
    const r = await c.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [
      database,
    ]);
    return Number(r.rows[0]?.n ?? 0);
  });
}

/** Waits (bounded) until no backend is connected to the database, so their statistics are flushed. */
export async function waitForDisconnect(adminUrl: string, database: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  await withClient(adminUrl, async (c) => {
    while (Date.now() < until) {
      const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
        database,
      ]);
      if ((r.rows[0]?.n ?? 0) === 0) break;
      await sleep(100);
    }
  });
  // The statistics of an exiting backend land a moment after it disappears from pg_stat_activity.
  await sleep(300);
}

/**
 * Rows inserted / updated (of which HOT, i.e. without new index entries) / deleted per item in the
 * busiest tables of the database (set-up included), from pg_stat_user_tables.
 */
export async function tableWrites(url: string, items: number): Promise<Record<string, string>> {
  return withClient(url, async (c) => {
    const r = await c.query<{ t: string; ins: string; upd: string; hot: string; del: string }>(
      `SELECT schemaname || '.' || relname AS t, n_tup_ins::text AS ins, n_tup_upd::text AS upd,
              n_tup_hot_upd::text AS hot, n_tup_del::text AS del
         FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0
        ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC LIMIT 8`,
    );
    const per = (v: string) => Math.round((Number(v) / items) * 100) / 100;
    return Object.fromEntries(
      r.rows.map(
        (row) =>
          [
            row.t,
            `inserted ${per(row.ins)}, updated ${per(row.upd)} (HOT ${per(row.hot)}), deleted ${per(row.del)}`,
          ] as const,
      ),
    );
  });
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: Number.NaN, p95: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p95: at(0.95) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class DeadlineError extends Error {}

export function checkDeadline(ctx: PeerContext, what: string): void {
  if (Date.now() > ctx.deadline) throw new DeadlineError(`deadline passed while ${what}`);
}

/**
 * Samples what the database's backends are doing every `intervalMs` (from the maintenance
 * database): the share of samples per state and wait event says where the time goes.
 */
export function sampleWaitEvents(adminUrl: string, database: string, intervalMs = 100) {
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'signoff-bench-sampler' });
  const loop = (async () => {
    await client.connect();
    while (running) {
      const r = await client.query<{ state: string | null; wait: string | null }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      samples++;
      for (const row of r.rows) {
        const key = `${row.state ?? 'unknown'}${row.wait ? ` / ${row.wait}` : ''}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await sleep(intervalMs);
    }
    await client.end();
  })();
  return {
    /** Average number of backends per state/wait event over the samples, largest first. */
    async stop(): Promise<Record<string, number>> {
      running = false;
      await loop;
      const out: Record<string, number> = {};
      for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
        out[k] = Math.round((v / Math.max(1, samples)) * 100) / 100;
      }
      return out;
    },
  };
}

/** Where CPU went over a window: this Node process, the database's backends, the whole machine. */
export interface CpuSplit {
  nodeMsPerItem: number;
  postgresMsPerItem: number;
  /** Share of both cores busy over the window, whoever used them (other processes included). */
  machineBusyPercent: number;
}

const TICKS_PER_SECOND = 100;

/** CPU ticks (user + system) a process has used, or undefined once it is gone. */
function processTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may contain spaces: count fields after its closing paren (utime, stime = 11, 12).
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

async function backendTicks(adminUrl: string, database: string): Promise<Map<number, number>> {
  const pids = await withClient(adminUrl, async (c) => {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    return r.rows.map((row) => row.pid);
  });
  const out = new Map<number, number>();
  for (const pid of pids) {
    const t = processTicks(pid);
    if (t !== undefined) out.set(pid, t);
  }
  return out;
}

/**
 * Measures CPU over a window (Linux, server on this machine): call at the start of processing and
 * `stop` before the peer closes its connections (a backend's CPU is only readable while it lives).
 */
export async function cpuMeter(adminUrl: string, database: string) {
  const node0 = process.cpuUsage();
  const machine0 = machineTicks();
  const backends0 = await backendTicks(adminUrl, database);
  return {
    async stop(items: number): Promise<CpuSplit> {
      const node = process.cpuUsage(node0);
      const machine1 = machineTicks();
      const backends1 = await backendTicks(adminUrl, database);
      let pgTicks = 0;
      for (const [pid, t] of backends1) pgTicks += t - (backends0.get(pid) ?? 0);
      const round = (v: number) => Math.round(v * 100) / 100;
      return {
        nodeMsPerItem: round((node.user + node.system) / 1000 / items),
        postgresMsPerItem: round(((pgTicks / TICKS_PER_SECOND) * 1000) / items),
        machineBusyPercent: Math.round(
          (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total),
        ),
      };
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inFlight<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
