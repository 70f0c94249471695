import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PeerContext, type PgbenchResult, type SetByParent, withClient } from '../measure';

const run = promisify(execFile);

export const CLIENTS = [1, 4, 16];
const SECONDS_PER_RUN = 10;

/** pgbench from PATH, else the newest /usr/lib/postgresql/<version>/bin/pgbench; undefined if absent. */
export async function findPgbench(): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v pgbench']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // not on PATH
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin', 'pgbench')).find((p) => existsSync(p));
}

/**
 * The physical limit of this server for one-row commits: a custom pgbench script inserting one
 * row into a small table, at 1, 4 and 16 clients, `SECONDS_PER_RUN` each.
 */
export async function runPgbench(ctx: PeerContext): Promise<Omit<PgbenchResult, SetByParent>> {
  const config = `custom script: one INSERT per transaction, -M prepared, ${SECONDS_PER_RUN} s per client count`;
  const bin = await findPgbench();
  if (!bin) return { kind: 'pgbench', peer: 'pgbench', runs: [], config, skipped: 'no pgbench binary found' };
  await withClient(ctx.url, (c) =>
    c.query('CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v integer NOT NULL, at timestamptz DEFAULT now())'),
  );
  const dir = await mkdtemp(join(tmpdir(), 'signoff-pgbench-'));
  const script = join(dir, 'insert.sql');
  await writeFile(script, 'INSERT INTO bench_insert (v) VALUES (1);\n');
  const runs: PgbenchResult['runs'] = [];
  try {
    for (const clients of CLIENTS) {
      const args = ['-n', '-M', 'prepared', '-f', script, '-c', String(clients)];
      args.push('-j', String(Math.min(clients, 2)), '-T', String(SECONDS_PER_RUN), ctx.url);
      const { stdout } = await run(bin, args, { timeout: (SECONDS_PER_RUN + 30) * 1000 });
      const tps = /tps = ([\d.]+)/.exec(stdout)?.[1];
      if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
      runs.push({ clients, tps: Number(tps) });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { kind: 'pgbench', peer: 'pgbench', runs, config: `${bin}; ${config}` };
}
