#!/usr/bin/env node
// Runs a pnpm script with the toolchain this project needs, providing it where the machine lacks it.
// Plain JavaScript on purpose: it must run on the machine's Node (20 or newer) before anything is installed.
//   node scripts/bootstrap.mjs <pnpm script> [args...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = '22.23.3';
const PNPM_VERSION = '10.34.8';
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const toolDir = join(root, '.signoff', 'toolchain');

function log(msg) {
  process.stderr.write(`[bootstrap] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function npmInstallTools(pkgs) {
  mkdirSync(toolDir, { recursive: true });
  const manifest = join(toolDir, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, '{"name":"signoff-toolchain","private":true}\n');
  log(`installing ${pkgs.join(', ')} from the npm registry into .signoff/toolchain`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const status = run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', ...pkgs], { cwd: toolDir });
  if (status !== 0) {
    log('could not install the toolchain with npm; is the npm registry reachable?');
    process.exit(status);
  }
}

function nodeMajor(bin) {
  const r = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim().split('.')[0]) : 0;
}

// 1. Node >= 22: the machine's, else a pinned binary package from the registry.
let nodeBin = process.execPath;
if (Number(process.versions.node.split('.')[0]) < 22) {
  const pkg = `node-${process.platform}-${process.arch}`;
  const local = join(toolDir, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(local) || nodeMajor(local) < 22) npmInstallTools([`${pkg}@${NODE_VERSION}`]);
  nodeBin = local;
  log(`machine Node is ${process.versions.node}; using Node ${NODE_VERSION} from .signoff/toolchain`);
}

// 2. pnpm, pinned, run by that Node.
const pnpmEntry = join(toolDir, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
if (!existsSync(pnpmEntry)) npmInstallTools([`pnpm@${PNPM_VERSION}`]);

const env = { ...process.env, PATH: `${dirname(nodeBin)}:${join(toolDir, 'bin')}:${process.env.PATH ?? ''}` };
mkdirSync(join(toolDir, 'bin'), { recursive: true });
writeFileSync(join(toolDir, 'bin', 'pnpm'), `#!/bin/sh\nexec "${nodeBin}" "${pnpmEntry}" "$@"\n`, { mode: 0o755 });

// 3. Dependencies, exactly as locked, then the script.
const install = run(
  nodeBin,
  [
    pnpmEntry,
    'install',
    existsSync(join(root, 'pnpm-lock.yaml')) ? '--frozen-lockfile' : '--no-frozen-lockfile',
    '--reporter=append-only',
  ],
  { env },
);
if (install !== 0) process.exit(install);
const [script = 'start', ...rest] = process.argv.slice(2);
process.exit(run(nodeBin, [pnpmEntry, 'run', script, ...rest], { env }));
