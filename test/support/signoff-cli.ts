import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const cli = join(import.meta.dirname, '..', '..', 'apps', 'cli');

/**
 * Runs the real `signoff` command in a child process against `databaseUrl`; never throws for an
 * exit code other than 0.
 *
 * @example
 * const r = await runSignoff(['dataset', 'list', '--json'], t.url);
 * expect(r.code).toBe(0);
 */
export async function runSignoff(
  args: string[],
  databaseUrl: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: cli,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
