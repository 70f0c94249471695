import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CONSOLE_DIR = join(ROOT, 'apps/console');

/** Builds the console when dist/ is missing or older than its sources, so a test file runs on its own. */
export function buildConsoleIfStale(): void {
  const built = join(CONSOLE_DIR, 'dist/index.html');
  const sources = [
    join(CONSOLE_DIR, 'index.html'),
    join(CONSOLE_DIR, 'vite.config.ts'),
    join(CONSOLE_DIR, 'package.json'),
    ...listFiles(join(CONSOLE_DIR, 'src')),
    ...listFiles(join(ROOT, 'packages/core/src')),
  ];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  // The package's own build script, through vite's bin with this Node: no PATH lookups needed.
  const vitePackage = createRequire(join(CONSOLE_DIR, 'package.json')).resolve('vite/package.json');
  const vite = join(vitePackage, '..', 'bin/vite.js');
  execFileSync(process.execPath, [vite, 'build'], { cwd: CONSOLE_DIR, stdio: 'pipe' });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}
