// `signoff audit verify|export|checkpoint|public-key`: hash chains, signed checkpoints and bundles
// an auditor verifies without the database (docs/audit.md).
import { readFile, writeFile } from 'node:fs/promises';
import { AppError } from '@signoff/core';
import {
  type BundleVerification,
  createCheckpoint,
  exportAuditBundle,
  verifyAuditStream,
  verifyBundle,
} from '@signoff/governance';
import { loadAuditSigner, readEnv } from '@signoff/server';
import type { Command } from 'commander';
import { EXIT, reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';
import { repeatable } from './users';

const log = (m: string) => console.log(`[signoff] ${m}`);

function configuredSigner() {
  const loaded = loadAuditSigner(readEnv());
  if (!loaded)
    throw new AppError(
      'NOT_FOUND',
      'No audit signing key is configured: set SIGNOFF_AUDIT_SIGNING_KEY (PEM) or SIGNOFF_AUDIT_SIGNING_KEY_FILE',
    );
  return loaded.signer;
}

function time(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new AppError('BAD_INPUT', `${name} must be a date or time (got "${value}")`);
  return d;
}

/**
 * Adds `signoff audit ...` and returns the `audit` command, for other `audit` subcommands.
 * `verify --bundle` exits 0 verified, 5 tampered, 2 unusable input (and never opens a database).
 *
 * @example
 * registerAuditCommands(program);
 * // $ signoff audit export --out bundle.json --item 3f0c9a1e-...
 * // $ signoff audit verify --bundle bundle.json --public-key audit-public-key.pem
 */
export function registerAuditCommands(program: Command): Command {
  const audit = program.command('audit').description('Audit trail: verify, export bundles, checkpoints, public key');

  audit
    .command('verify')
    .description(
      "Verify an item's audit hash chain (or config / security) in the database, or a bundle offline with --bundle",
    )
    .argument('[stream]', 'an item id, "config" or "security"')
    .option('--bundle <file>', 'verify this bundle (from `signoff audit export`) without any database')
    .option('--public-key <file>', 'the Ed25519 public key (PEM) the bundle must be signed with')
    .option('--json', 'print the verification as JSON')
    .action((stream: string | undefined, opts: { bundle?: string; publicKey?: string; json?: boolean }) =>
      reportingErrors(async () => {
        if (opts.bundle !== undefined) {
          if (stream !== undefined) throw new AppError('BAD_INPUT', 'Give a stream or --bundle, not both');
          if (!opts.publicKey) throw new AppError('BAD_INPUT', '--bundle needs --public-key FILE');
          return verifyBundleFile(opts.bundle, opts.publicKey, opts.json ?? false);
        }
        if (!stream)
          throw new AppError('BAD_INPUT', 'Name a stream (an item id, config or security), or pass --bundle');
        await withDatabase(async (db) => {
          const v = await verifyAuditStream(db, stream);
          // The head is worth noting elsewhere (a ticket, a log): a later run must reach at least it.
          if (v.ok) log(`${stream}: ${v.checked} events, chain intact; head event ${v.head.seq} ${v.head.hash}`);
          else {
            console.error(`${stream}: chain broken at event ${v.broken?.seq}: ${v.broken?.reason}`);
            process.exitCode = 1;
          }
        });
      }),
    );

  audit
    .command('export')
    .description(
      'Write a signed audit bundle: events, heads, checkpoints and inclusion proofs (makes a checkpoint first)',
    )
    .requiredOption('--out <file>', 'the bundle file (JSON) to write')
    .option(
      '--item <id>',
      "an item whose stream to export (repeat); default: every item's, config and security",
      repeatable,
    )
    .option('--from <time>', 'only items created at or after this time')
    .option('--to <time>', 'only items created before this time')
    .action((opts: { out: string; item?: string[]; from?: string; to?: string }) =>
      reportingErrors(async () => {
        const from = time('--from', opts.from);
        const to = time('--to', opts.to);
        const signer = configuredSigner();
        const bundle = await withDatabase((db) =>
          exportAuditBundle(db, signer, {
            ...(opts.item ? { items: opts.item } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
          }),
        );
        await writeFile(opts.out, `${JSON.stringify(bundle)}\n`);
        const events = bundle.streams.reduce((n, s) => n + s.events.length, 0);
        log(
          `wrote ${opts.out}: ${bundle.streams.length} streams, ${events} events, ${bundle.checkpoints.length} checkpoints, ${bundle.proofs.length} inclusion proofs; key ${signer.fingerprint}`,
        );
      }),
    );

  audit
    .command('checkpoint')
    .description('Sign a checkpoint of every stream that moved since the last one now')
    .action(() =>
      reportingErrors(async () => {
        const signer = configuredSigner();
        const made = await withDatabase((db) => createCheckpoint(db, signer));
        if (made)
          log(
            `checkpoint ${made.seq}: ${made.leafCount} streams, root ${made.root}, hash ${made.hash} (${made.createdAt})`,
          );
        else log('nothing moved since the last checkpoint');
      }),
    );

  audit
    .command('public-key')
    .description('Print the public key (PEM) that verifies checkpoints and bundles; give it to auditors')
    .option('--out <file>', 'write it to this file instead')
    .action((opts: { out?: string }) =>
      reportingErrors(async () => {
        const signer = configuredSigner();
        if (opts.out) {
          await writeFile(opts.out, signer.publicKeyPem);
          log(`wrote ${opts.out} (fingerprint ${signer.fingerprint})`);
        } else process.stdout.write(signer.publicKeyPem);
      }),
    );
  return audit;
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new AppError('BAD_INPUT', `Cannot read the ${what} ${file}: ${e instanceof Error ? e.message : e}`);
  }
}

async function verifyBundleFile(bundleFile: string, keyFile: string, json: boolean): Promise<void> {
  const v = verifyBundle(await readInput(bundleFile, 'bundle'), await readInput(keyFile, 'public key'));
  if (json) console.log(JSON.stringify(v, null, 2));
  else printVerification(bundleFile, v);
  process.exitCode = v.status === 'verified' ? EXIT.ok : v.status === 'tampered' ? EXIT.tampered : EXIT.usage;
}

function printVerification(file: string, v: BundleVerification): void {
  if (v.status === 'bad-input') return void console.error(`error: ${v.error}`);
  const events = v.streams.reduce((n, s) => n + s.events, 0);
  const last = v.checkpoints.last;
  const summary = `${v.streams.length} streams, ${events} events, ${v.checkpoints.count} checkpoints${last ? ` (last: ${last.seq} at ${last.createdAt})` : ''}, key ${v.keyFingerprint}`;
  if (v.status === 'verified') log(`${file}: VERIFIED: ${summary}`);
  else {
    console.error(`${file}: TAMPERED: ${v.problems.length} problem(s); ${summary}`);
    for (const p of v.problems) console.error(`  - ${p.message}`);
  }
  for (const n of v.notes) console.log(`  note: ${n}`);
}
