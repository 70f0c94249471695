import { execFile, spawn } from 'node:child_process';
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

/**
 * Runs `signoff ...` with `stdin` piped in (closed at once when empty, as in a script) and without
 * `$SIGNOFF_USER_PASSWORD` unless `env` sets it: for the commands that read a password.
 *
 * @example
 * const r = await runSignoffWithStdin(['users', 'add', 'kim@bank.example', '--name', 'Kim', '--role', 'lead', '--password-stdin'], t.url, { stdin: PASSWORD });
 */
export function runSignoffWithStdin(
  args: string[],
  databaseUrl: string,
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, ...options.env };
    if (!options.env?.SIGNOFF_USER_PASSWORD) delete env.SIGNOFF_USER_PASSWORD;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: cli,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
