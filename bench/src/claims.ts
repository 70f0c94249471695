// pnpm bench:claims [--tasks N] [--claimers N] [--claims N] [--think-ms T] [--explain] [--keep] [--database-url URL]
// Claim-next under load: N pending review tasks (default 100,000; one waiting item each, in four
// queues, priorities 0-4, a third with due times) and `claimers` reviewers (default 32) claiming at
// once, each a member of two of the four queues, each claim in a transaction of its own over a pool
// of one connection per claimer. A claimer answers what it claims (the task is marked done,
// untimed) and claims again, until `claims` claims (default 20,000) are made. Two peers, each on the
// same seeded database, in turn:
// - signoff: `claimNextTask`, what `tasks.claimNext` runs (membership, four-eyes and skip checks,
//   the claim through the one transition path with its audit event);
// - bare: one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)` statement in the same
//   order over the same queues: the floor a claim with no rules and no audit trail costs.
// Reports each one's claim latency p50, p95 and p99 and claims/s in bench/results/claims.md.
// Target: signoff's p95 at most 10 ms.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineWorkflow } from '@signoff/core';
import { createDb, type DB, migrateToLatest } from '@signoff/db';
import { claimNextSql, claimNextTask, type TaskUser, WorkflowRegistry } from '@signoff/engine';
import { type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { createDatabase, databaseName, dropDatabase, withDatabase } from './measure';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    claimers: { type: 'string', default: '32' },
    claims: { type: 'string', default: '20000' },
    'think-ms': { type: 'string', default: '0' },
    explain: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'database-url': {
      type: 'string',
      default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
const TASKS = Number(values.tasks);
const CLAIMERS = Number(values.claimers);
const CLAIMS = Number(values.claims);
/**
 * Each claimer's pause after answering a task before it claims again, drawn uniformly from
 * [0, 2 × think) ms: 0 (the default) claims back to back, which measures the claim at saturation
 * (latency is then claimers / throughput); a pause models reviewers who work the task they claimed.
 */
const THINK_MS = Number(values['think-ms']);
if (!Number.isFinite(THINK_MS) || THINK_MS < 0)
  throw new Error('--think-ms must be a number of milliseconds, 0 or more');
for (const [name, v] of Object.entries({ tasks: TASKS, claimers: CLAIMERS, claims: CLAIMS }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
if (CLAIMS * 2 > TASKS) throw new Error('--claims must be at most half of --tasks (both peers claim from one backlog)');
const adminUrl = values['database-url'];
const database = databaseName('claims');
const QUEUES = ['support', 'refunds', 'priority', 'kyc'];

const flow = defineWorkflow({
  name: 'bench-claims',
  input: z.object({ n: z.number() }),
  start: 'review',
  states: {
    review: { kind: 'review', queue: 'support', labels: ['yes', 'no'], instructions: 'Yes or no?', next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});

async function seed(db: Kysely<DB>, versionId: string): Promise<TaskUser[]> {
  await sql`
    INSERT INTO users (id, email, name, role, password_hash)
    SELECT md5('claimer' || k)::uuid, 'claimer' || k || '@bench', 'Claimer ' || k, 'reviewer', 'x'
      FROM generate_series(0, ${CLAIMERS - 1}) k`.execute(db);
  await sql`
    INSERT INTO queue_members (queue, user_id)
    SELECT (${QUEUES}::text[])[(k + j) % 4 + 1], md5('claimer' || k)::uuid
      FROM generate_series(0, ${CLAIMERS - 1}) k, generate_series(0, 1) j`.execute(db);
  await sql`
    INSERT INTO items (id, workflow_name, workflow_version_id, input, status, current_state, visits)
    SELECT md5('item' || g)::uuid, ${flow.name}, ${versionId}, jsonb_build_object('n', g), 'waiting', 'review',
           '{"review": 1}'::jsonb
      FROM generate_series(1, ${TASKS}) g`.execute(db);
  await sql`
    INSERT INTO review_tasks (item_id, state, visit, queue, status, labels, instructions, kind, priority, due_at, created_at)
    SELECT md5('item' || g)::uuid, 'review', 1, (${QUEUES}::text[])[g % 4 + 1], 'pending', '["yes","no"]', 'Yes or no?',
           'review', g % 5, CASE WHEN g % 3 = 0 THEN now() + make_interval(mins => g % 997) END,
           now() - make_interval(secs => g)
      FROM generate_series(1, ${TASKS}) g`.execute(db);
  await sql`ANALYZE`.execute(db);
  const rows = await db.selectFrom('users').select(['id', 'role']).where('email', 'like', '%@bench').execute();
  return rows;
}

interface PeerRun {
  peer: string;
  claims: number;
  claimsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

/** `claimers` loops claiming until `CLAIMS` claims are made; each claim's latency in ms. */
async function run(
  peer: string,
  users: TaskUser[],
  claim: (user: TaskUser) => Promise<string | undefined>,
  done: (taskId: string) => Promise<unknown>,
): Promise<PeerRun> {
  const times: number[] = [];
  let left = CLAIMS;
  const started = performance.now();
  await Promise.all(
    users.map(async (user) => {
      while (left-- > 0) {
        const t0 = performance.now();
        const id = await claim(user);
        times.push(performance.now() - t0);
        if (!id) throw new Error(`${peer}: a claim found nothing with ${left} claims to go`);
        await done(id);
        if (THINK_MS > 0) await new Promise((r) => setTimeout(r, Math.random() * 2 * THINK_MS));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    peer,
    claims: times.length,
    claimsPerSecond: Math.round(times.length / seconds),
    p50: round(percentile(times, 0.5)),
    p95: round(percentile(times, 0.95)),
    p99: round(percentile(times, 0.99)),
    max: round(times.at(-1) as number),
  };
}

async function main() {
  await createDatabase(adminUrl, database);
  const url = withDatabase(adminUrl, database);
  const db = createDb(url, { max: CLAIMERS + 2, applicationName: 'signoff-bench-claims' });
  try {
    const { error } = await migrateToLatest(db);
    if (error) throw error;
    const registry = new WorkflowRegistry();
    const { versionId } = await registry.register(db, flow);
    const seedStart = performance.now();
    const users = await seed(db, versionId);
    console.log(`seeded ${TASKS} tasks in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    // A claim plans no jobs, so pg-boss is never reached.
    const deps = { boss: {} as PgBoss, registry };
    if (values.explain) {
      const user = users[0] as TaskUser;
      const plan = await db.transaction().execute(async (trx) => {
        const q = claimNextSql(user, undefined).compile(trx);
        return sql
          .raw(
            `EXPLAIN (ANALYZE, BUFFERS) ${q.sql.replace(/\$(\d+)/g, (_, n) => {
              const v = q.parameters[Number(n) - 1];
              return typeof v === 'number' ? String(v) : `'${String(v)}'`;
            })}`,
          )
          .execute(trx);
      });
      console.log((plan.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n'));
    }
    const finish = (id: string) =>
      sql`UPDATE review_tasks SET status = 'done', completed_at = now() WHERE id = ${id}`.execute(db);
    const load = Math.round((loadavg()[0] ?? 0) * 10) / 10;
    const signoff = await run(
      'signoff (claimNextTask)',
      users,
      async (user) => (await db.transaction().execute((trx) => claimNextTask(trx, deps, user)))?.id,
      finish,
    );
    console.log(signoff);
    const bare = await run(
      'bare SKIP LOCKED claim',
      users,
      async (user) => {
        const r = await sql<{ id: string }>`
          UPDATE review_tasks SET status = 'claimed', assignee_id = ${user.id}, claimed_at = now(),
                                  lease_expires_at = now() + interval '5 minutes'
           WHERE id = (SELECT t.id FROM review_tasks t
                        WHERE t.status = 'pending'
                          AND t.queue IN (SELECT queue FROM queue_members WHERE user_id = ${user.id})
                        ORDER BY t.priority DESC, t.due_at ASC NULLS LAST, t.created_at, t.id
                        LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING id`.execute(db);
        return r.rows[0]?.id;
      },
      finish,
    );
    console.log(bare);
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`;
    const pgVersion = (await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(db)).rows[0]?.v;
    const lines = [
      `## Claim-next (\`pnpm bench:claims\`), ${new Date().toISOString().slice(0, 10)}`,
      '',
      `${TASKS.toLocaleString('en')} pending tasks in 4 queues, ${CLAIMERS} concurrent claimers (each a member of 2 queues), ` +
        `${CLAIMS.toLocaleString('en')} claims per peer, ${THINK_MS > 0 ? `a pause of 0-${2 * THINK_MS} ms after each answer` : 'back to back'}. Machine: ${machine}; PostgreSQL ${pgVersion}; load ${load} before.`,
      '',
      '| peer | claims | claims/s | p50 ms | p95 ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...[signoff, bare].map(
        (r) => `| ${r.peer} | ${r.claims} | ${r.claimsPerSecond} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} |`,
      ),
    ];
    const report = lines.join('\n');
    console.log(`\n${report}`);
    const dir = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}claims.md`, `${report}\n`);
    console.log('\nwritten: bench/results/claims.md');
  } finally {
    await db.destroy();
    if (!values.keep) await dropDatabase(adminUrl, database);
  }
}

await main();
