// pnpm bench:datasets [--labels N] [--small N] [--database-url URL]
// Dataset snapshot exports at scale: seeds N labels (default 1,000,000) with their items,
// decisions, review tasks and reviews in SQL (generate_series), creates two snapshots (the first
// `--small` labels, default 100,000, and all of them), and exports each in every format to a file,
// each export in a child process of its own, sampling its memory every 20 ms. Reports rows/s and
// peak RSS and heap per format and size, and the ratio of the peaks: flat memory means the
// exports stream. Each export runs with a 128 MB old-space limit (CHILD_HEAP_MB). Results go to bench/results/datasets.md; copy them into docs/benchmarks.md.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { DATASET_FORMATS, type DatasetFormat } from '@signoff/core';
import { createSnapshot, writeSnapshot } from '@signoff/datasets';
import { createDb, migrateToLatest } from '@signoff/db';
import { SYSTEM } from '@signoff/governance';
import { sql } from 'kysely';
import { createDatabase, databaseName, dropDatabase } from './measure';

const { values } = parseArgs({
  options: {
    labels: { type: 'string', default: '1000000' },
    small: { type: 'string', default: '100000' },
    'database-url': {
      type: 'string',
      default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
    // Internal: run one export and print its measurements as JSON.
    child: { type: 'string' },
    format: { type: 'string' },
    // Keep the database (and print its URL) instead of dropping it, to look at query plans.
    keep: { type: 'boolean', default: false },
  },
});

interface ExportResult {
  records: number;
  seconds: number;
  bytes: number;
  peakRssMb: number;
  peakHeapMb: number;
}

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

/** One export, measured: the child process's whole job. */
async function runChild(url: string, snapshotId: string, format: DatasetFormat): Promise<void> {
  const db = createDb(url, { max: 2, applicationName: 'signoff-bench-datasets' });
  const file = join(tmpdir(), `signoff-bench-${process.pid}.${format}`);
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 20);
  try {
    const out = createWriteStream(file);
    const started = performance.now();
    const { records } = await writeSnapshot(db, snapshotId, { format }, out);
    out.end();
    await once(out, 'finish');
    const seconds = (performance.now() - started) / 1000;
    sample();
    const result: ExportResult = {
      records,
      seconds,
      bytes: statSync(file).size,
      peakRssMb: mb(peakRss),
      peakHeapMb: mb(peakHeap),
    };
    process.stdout.write(JSON.stringify(result));
  } finally {
    clearInterval(timer);
    rmSync(file, { force: true });
    await db.destroy();
  }
}

/** Seeds `n` labels: one reviewer, one workflow version, and per label an item, state run, decision, review task and review. */
async function seed(db: ReturnType<typeof createDb>, n: number): Promise<void> {
  const reviewer = (
    await db
      .insertInto('users')
      .values({ email: 'bench@signoff.test', name: 'Bench', role: 'reviewer', password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const definition = {
    states: { classify: { kind: 'decide', agent: { name: 'bench', instructions: 'Classify the ticket.' } } },
  };
  const version = (
    await db
      .insertInto('workflow_versions')
      .values({ name: 'bench', version: 1, hash: 'bench', definition: JSON.stringify(definition) })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const id = (kind: string) => sql.raw(`md5('${kind}' || g)::uuid`);
  const range = sql`generate_series(1, ${n}) g`;
  // A label's time is 1 ms after the previous one's, so the first `small` labels are a date range.
  const at = sql`timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond'`;
  const human = sql`(ARRAY['refund','question','complaint','other'])[1 + g % 4]`;
  const ai = sql`(CASE WHEN g % 7 = 0 THEN 'other' ELSE (ARRAY['refund','question','complaint','other'])[1 + g % 4] END)`;
  await sql`INSERT INTO items (id, workflow_name, workflow_version_id, input, status, created_at)
            SELECT ${id('i')}, 'bench', ${version}, '{}', 'succeeded', ${at} FROM ${range}`.execute(db);
  await sql`INSERT INTO state_runs (id, item_id, state, visit, kind, status, started_at)
            SELECT ${id('s')}, ${id('i')}, 'classify', 1, 'decide', 'done', ${at} FROM ${range}`.execute(db);
  await sql`INSERT INTO decisions (id, item_id, state_run_id, state, agent, provider, model, model_version, prompt_version,
                                   input_hash, input_text, output, label, confidence, confidence_method,
                                   calibrated_confidence, route, latency_ms, audit_probability, created_at)
            SELECT ${id('d')}, ${id('i')}, ${id('s')}, 'classify', 'bench', 'local', 'local', 'v' || (1 + g % 3), 'p1',
                   md5('h' || g), 'Ticket ' || g || ': my order arrived damaged, can I get my money back?',
                   jsonb_build_object('label', ${ai}), ${ai}, 0.5 + (g % 50) / 100.0, 'posterior', 0.5 + (g % 50) / 100.0,
                   CASE WHEN g % 10 = 0 THEN 'sampled' ELSE 'review' END, 5,
                   CASE WHEN g % 10 = 0 THEN 0.05 ELSE 1 END, ${at}
              FROM ${range}`.execute(db);
  await sql`INSERT INTO review_tasks (id, item_id, state, visit, decision_id, queue, status, labels, instructions, kind, created_at)
            SELECT ${id('t')}, ${id('i')}, 'classify', 1, ${id('d')}, 'bench', 'done', '["refund","question","complaint","other"]',
                   '', CASE WHEN g % 10 = 0 THEN 'qa' ELSE 'decision' END, ${at} FROM ${range}`.execute(db);
  await sql`INSERT INTO reviews (id, task_id, reviewer_id, verdict, label, created_at)
            SELECT ${id('r')}, ${id('t')}, ${reviewer}, CASE WHEN g % 7 = 0 THEN 'correct' ELSE 'confirm' END, ${human}, ${at}
              FROM ${range}`.execute(db);
  await sql`INSERT INTO labels (id, item_id, state, decision_id, review_id, workflow_name, workflow_version_id, agent, model,
                                model_version, prompt_version, input_text, ai_label, ai_confidence, human_label,
                                is_correction, reason, reviewer_id, created_at)
            SELECT ${id('l')}, ${id('i')}, 'classify', ${id('d')}, ${id('r')}, 'bench', ${version}, 'bench', 'local',
                   'v' || (1 + g % 3), 'p1', 'Ticket ' || g || ': my order arrived damaged, can I get my money back?',
                   ${ai}, 0.5 + (g % 50) / 100.0, ${human}, g % 7 = 0 AND g % 4 <> 3,
                   CASE WHEN g % 7 = 0 THEN 'the customer asks for a refund' END, ${reviewer}, ${at}
              FROM ${range}`.execute(db);
  await sql`ANALYZE`.execute(db);
}

/**
 * Each export runs with this old-space limit: an export that held its rows would run out of
 * memory at 1,000,000 labels (its JSONL is ~700 MB), so finishing at all shows it streams.
 */
const CHILD_HEAP_MB = 128;

async function exportInChild(url: string, snapshotId: string, format: DatasetFormat): Promise<ExportResult> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      `--max-old-space-size=${CHILD_HEAP_MB}`,
      '--import',
      'tsx',
      self,
      '--child',
      snapshotId,
      '--format',
      format,
      '--database-url',
      url,
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as ExportResult;
}

async function main(): Promise<void> {
  const adminUrl = values['database-url'];
  if (values.child) return runChild(adminUrl, values.child, values.format as DatasetFormat);
  const n = Number(values.labels);
  const small = Number(values.small);
  const database = databaseName('datasets');
  await createDatabase(adminUrl, database);
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  const url = u.toString();
  const db = createDb(url, { max: 4, applicationName: 'signoff-bench-datasets' });
  try {
    const { error } = await migrateToLatest(db);
    if (error) throw error;
    let t = performance.now();
    await seed(db, n);
    const seedSeconds = (performance.now() - t) / 1000;
    console.error(`[bench] seeded ${n} labels in ${seedSeconds.toFixed(1)} s`);
    const sizes: { rows: number; id: string; createSeconds: number }[] = [];
    for (const [rows, filters] of [
      [small, { to: new Date(Date.UTC(2026, 0, 1) + small * 1 + 1) }],
      [n, {}],
    ] as const) {
      t = performance.now();
      const s = await db
        .transaction()
        .execute((trx) => createSnapshot(trx, { name: `bench-${rows}`, filters, seed: 'bench' }, SYSTEM));
      const createSeconds = (performance.now() - t) / 1000;
      if (s.rowCount !== rows) throw new Error(`snapshot of ${s.rowCount} rows, expected ${rows}`);
      console.error(`[bench] snapshot of ${rows} labels created in ${createSeconds.toFixed(1)} s`);
      sizes.push({ rows, id: s.id, createSeconds });
    }
    const results: { format: DatasetFormat; rows: number; r: ExportResult }[] = [];
    for (const format of DATASET_FORMATS)
      for (const size of sizes) {
        const r = await exportInChild(url, size.id, format);
        console.error(
          `[bench] ${format} ${size.rows}: ${Math.round(r.records / r.seconds)} rows/s, heap ${r.peakHeapMb} MB, rss ${r.peakRssMb} MB`,
        );
        results.push({ format, rows: size.rows, r });
      }
    const lines = [
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`,
      `Seeded ${n.toLocaleString('en')} labels in ${seedSeconds.toFixed(1)} s; snapshots created in ${sizes.map((s) => `${s.createSeconds.toFixed(1)} s (${s.rows.toLocaleString('en')} labels)`).join(' and ')}, the content hash (one JSONL pass) included.`,
      '',
      `| format | labels | records | seconds | rows/s | file MB | peak heap MB | peak RSS MB | peak heap ${n / 1000}k / ${small / 1000}k |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ];
    for (const { format, rows, r } of results) {
      const smallRun = results.find((x) => x.format === format && x.rows === small)?.r;
      const ratio = rows === n && smallRun ? (r.peakHeapMb / smallRun.peakHeapMb).toFixed(2) : '';
      lines.push(
        `| ${format} | ${rows.toLocaleString('en')} | ${r.records.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(r.records / r.seconds).toLocaleString('en')} | ${mb(r.bytes)} | ${r.peakHeapMb} | ${r.peakRssMb} | ${ratio} |`,
      );
    }
    const out = join(fileURLToPath(new URL('..', import.meta.url)), 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'datasets.md'), `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
  } finally {
    await db.destroy();
    if (values.keep) console.error(`[bench] kept ${url}`);
    else await dropDatabase(adminUrl, database);
  }
}

await main();
