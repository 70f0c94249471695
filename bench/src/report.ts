import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { BenchResult, PeerResult, PgbenchResult } from './measure';
import { withClient } from './measure';

export interface Machine {
  date: string;
  cores: number;
  memoryGiB: number;
  cpu: string;
  postgres: string;
  node: string;
  /** The commit measured, and how many files of the engine's packages differed from it. */
  source: string;
}

function describeSource(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'packages', 'db').split('\n').filter(Boolean).length;
    return dirty > 0 ? `${head} + ${dirty} uncommitted files under packages/ and db/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export async function describeMachine(adminUrl: string): Promise<Machine> {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  const postgres = await withClient(adminUrl, async (c) => {
    const r = await c.query<{ v: string }>('SELECT version() AS v');
    return r.rows[0]?.v.split(' on ')[0] ?? 'unknown';
  });
  return {
    date: new Date().toISOString(),
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    cpu,
    postgres,
    node: process.version,
    source: describeSource(),
  };
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

function peers(results: BenchResult[]): PeerResult[] {
  return results.filter((r): r is PeerResult => r.kind === 'peer');
}

/** The results as markdown: machine, pgbench, the peers' table, the ratios, each peer's details. */
export function renderReport(machine: Machine, items: number, results: BenchResult[]): string {
  const out: string[] = [];
  out.push(`Run ${machine.date}, ${items.toLocaleString('en-US')} items per peer.`);
  out.push('');
  out.push(
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.postgres}, Node ${machine.node}.`,
  );
  out.push('');
  out.push(`Code: ${machine.source}.`);
  out.push('');
  const pgbench = results.find((r): r is PgbenchResult => r.kind === 'pgbench');
  if (pgbench) {
    if (pgbench.skipped) out.push(`pgbench: skipped (${pgbench.skipped}).`);
    else {
      out.push(`| pgbench single-row INSERT (load before: ${pgbench.loadBefore}) | TPS |`, '| --- | ---: |');
      for (const r of pgbench.runs) out.push(`| ${r.clients} client${r.clients > 1 ? 's' : ''} | ${n0(r.tps)} |`);
    }
    out.push('');
  }
  out.push(
    '| peer | items/s | latency p50 / p95 from submit (ms) | latency p50 / p95 from pick-up (ms) | commits / item | CPU ms / item: Node + PostgreSQL | machine busy (load before) | enqueue (s) | processing (s) | wall (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of peers(results)) {
    out.push(
      `| ${r.peer} | ${n0(r.itemsPerSecond)} | ${n0(r.latency.p50)} / ${n0(r.latency.p95)} | ${n0(r.pickupLatency.p50)} / ${n0(r.pickupLatency.p95)} | ${n2(r.commitsPerItem)} | ${n2(r.cpu.nodeMsPerItem)} + ${n2(r.cpu.postgresMsPerItem)} | ${r.cpu.machineBusyPercent}% (${r.loadBefore}) | ${n1(r.enqueueSeconds)} | ${n1(r.processSeconds)} | ${n1(r.wallSeconds)} |`,
    );
  }
  for (const r of results) if (r.kind === 'failed') out.push(`| ${r.peer} | failed: ${r.error.split('\n')[0]} |`);
  out.push('');
  const by = (name: string) => peers(results).find((r) => r.peer === name);
  const signoff = by('signoff');
  const ratio = (other: PeerResult | undefined, target: number, label: string) => {
    if (!signoff || !other) return;
    const x = signoff.itemsPerSecond / other.itemsPerSecond;
    out.push(`- Signoff / ${label}: **${n2(x)}x** (target ${target}x: ${x >= target ? 'met' : 'not met'})`);
  };
  ratio(by('dbos'), 2, 'DBOS');
  ratio(by('pgboss'), 0.5, 'raw pg-boss chain');
  const http = by('signoff-http');
  if (http) {
    const ingestion = http.items / http.enqueueSeconds;
    out.push(
      `- Signoff over HTTP, ingestion: **${n0(ingestion)} items/s** (target 5,000: ${ingestion >= 5000 ? 'met' : 'not met'})`,
    );
    if (signoff) {
      const x = http.itemsPerSecond / signoff.itemsPerSecond;
      out.push(
        `- Signoff over HTTP, end to end ${n0(http.itemsPerSecond)} items/s / engine only: **${n2(x)}x** (target 0.5x: ${x >= 0.5 ? 'met' : 'not met'})`,
      );
    }
  }
  out.push('');
  for (const r of results) {
    if (r.kind === 'failed') continue;
    out.push(`### ${r.peer}`, '', `Configuration: ${r.config}.`, '');
    if (r.kind === 'peer') {
      out.push('```json', JSON.stringify(r.details, null, 1), '```', '');
    }
  }
  return out.join('\n');
}
