// Where the audit signing key comes from: SIGNOFF_AUDIT_SIGNING_KEY (PEM), SIGNOFF_AUDIT_SIGNING_KEY_FILE,
// else the demo's key file in the data dir, if there is one. `signoff start --demo` makes that file.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppError } from '@signoff/core';
import { type AuditSigner, auditSignerFromPem } from '@signoff/governance';
import type { ServerEnv } from '../env';

export const DEMO_SIGNING_KEY_FILE = 'audit-signing-key.pem';

type KeyEnv = Pick<ServerEnv, 'SIGNOFF_AUDIT_SIGNING_KEY' | 'SIGNOFF_AUDIT_SIGNING_KEY_FILE' | 'SIGNOFF_DATA_DIR'>;

export interface LoadedSigner {
  signer: AuditSigner;
  /** Where it came from, for messages: the variable or the file. */
  source: string;
}

/**
 * The configured signer, or null when no key is configured. A configured key that cannot be read
 * or is not an Ed25519 private key is an error (`BAD_INPUT`), never a silent "no key".
 *
 * @example
 * const loaded = loadAuditSigner(readEnv());
 * if (!loaded) console.log('no checkpoints: no signing key');
 */
export function loadAuditSigner(env: KeyEnv): LoadedSigner | null {
  if (env.SIGNOFF_AUDIT_SIGNING_KEY && env.SIGNOFF_AUDIT_SIGNING_KEY_FILE)
    throw new AppError('BAD_INPUT', 'Set SIGNOFF_AUDIT_SIGNING_KEY or SIGNOFF_AUDIT_SIGNING_KEY_FILE, not both');
  if (env.SIGNOFF_AUDIT_SIGNING_KEY)
    return {
      signer: auditSignerFromPem(env.SIGNOFF_AUDIT_SIGNING_KEY, 'SIGNOFF_AUDIT_SIGNING_KEY'),
      source: 'SIGNOFF_AUDIT_SIGNING_KEY',
    };
  const file = env.SIGNOFF_AUDIT_SIGNING_KEY_FILE ?? demoKeyPath(env.SIGNOFF_DATA_DIR);
  if (!env.SIGNOFF_AUDIT_SIGNING_KEY_FILE && !existsSync(file)) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError('BAD_INPUT', `SIGNOFF_AUDIT_SIGNING_KEY_FILE: cannot read ${file}`, { cause: e });
  }
  return { signer: auditSignerFromPem(pem, file), source: file };
}

export function demoKeyPath(dataDir: string): string {
  return resolve(dataDir, DEMO_SIGNING_KEY_FILE);
}

/**
 * Writes a new Ed25519 key to `path` (mode 0600) unless a file is there. For the demo only: in
 * production the key is kept away from the database's writers (docs/audit.md).
 */
export function createSigningKeyFile(path: string): { path: string; created: boolean } {
  if (existsSync(path)) return { path, created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return { path, created: true };
}
