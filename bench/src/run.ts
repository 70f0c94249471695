// pnpm bench [--items N] [--only signoff,signoff-http,pgboss,dbos,pgbench] [--database-url URL]
// Runs each peer in its own process against its own fresh database on one PostgreSQL server,
// prints the results as markdown and keeps them in bench/results/.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BenchResult,
  createDatabase,
  databaseName,
  dropDatabase,
  type PeerContext,
  withClient,
  withDatabase,
} from './measure';
import { describeMachine, renderReport } from './report';

const PEERS = ['pgbench', 'pgboss', 'dbos', 'signoff', 'signoff-http'] as const;
type Peer = (typeof PEERS)[number];
const PEER_TIMEOUT_MS = 10 * 60_000;
/** Time a peer gets to stop by itself after its deadline before it is killed. */
const GRACE_MS = 30_000;

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '10000' },
    only: { type: 'string', default: PEERS.join(',') },
    'database-url': {
      type: 'string',
      default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
const items = Number(values.items);
if (!Number.isInteger(items) || items < 1) throw new Error(`--items must be a positive integer (got ${values.items})`);
const only = values.only.split(',').map((s) => s.trim());
for (const p of only)
  if (!PEERS.includes(p as Peer)) throw new Error(`unknown peer "${p}" (known: ${PEERS.join(', ')})`);
const adminUrl = values['database-url'];

function runChild(peer: Peer, ctx: PeerContext): Promise<BenchResult> {
  const started = Date.now();
  const loadBefore = Math.round((loadavg()[0] ?? 0) * 10) / 10;
  const child = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [peer, JSON.stringify(ctx)], {
    execArgv: process.execArgv,
  });
  return new Promise((resolve) => {
    let settled: BenchResult | undefined;
    const failed = (error: string): BenchResult => ({
      kind: 'failed',
      peer,
      error,
      wallSeconds: (Date.now() - started) / 1000,
      loadBefore,
    });
    const kill = setTimeout(() => {
      settled ??= failed(`killed after ${PEER_TIMEOUT_MS / 60_000} min`);
      child.kill('SIGKILL');
    }, PEER_TIMEOUT_MS + GRACE_MS);
    child.on('message', (m: { ok: boolean; result?: BenchResult; error?: string }) => {
      settled ??= m.ok
        ? ({ ...m.result, wallSeconds: (Date.now() - started) / 1000, loadBefore } as BenchResult)
        : failed(m.error ?? 'unknown error');
    });
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve(settled ?? failed(`exited with code ${code}`));
    });
  });
}

const results: BenchResult[] = [];
for (const peer of PEERS.filter((p) => only.includes(p))) {
  const database = databaseName(peer);
  console.log(`\n== ${peer}: ${items} items on database ${database}`);
  await createDatabase(adminUrl, database);
  try {
    // Debugging aid: every statement of this peer's database goes to the server's log.
    if (process.env.BENCH_LOG_STATEMENTS === '1') {
      await withClient(adminUrl, (c) => c.query(`ALTER DATABASE "${database}" SET log_min_duration_statement = 0`));
    }
    const ctx: PeerContext = {
      url: withDatabase(adminUrl, database),
      adminUrl,
      database,
      items,
      deadline: Date.now() + PEER_TIMEOUT_MS,
    };
    const result = await runChild(peer, ctx);
    results.push(result);
    console.log(
      result.kind === 'failed' ? `   failed: ${result.error}` : `   done in ${result.wallSeconds.toFixed(1)} s`,
    );
  } finally {
    await dropDatabase(adminUrl, database);
  }
}

const report = renderReport(await describeMachine(adminUrl), items, results);
console.log(`\n${report}`);
const dir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}latest.md`, `${report}\n`);
writeFileSync(`${dir}latest.json`, `${JSON.stringify({ items, results }, null, 2)}\n`);
console.log(`\nwritten: bench/results/latest.md, bench/results/latest.json`);
if (results.some((r) => r.kind === 'failed')) process.exitCode = 1;
