// The offline verifier of audit bundles: no database, no network, only the bundle and the public
// key the auditor got from the key holder. `signoff audit verify --bundle` runs it; tests call it.
import type { KeyObject } from 'node:crypto';
import { auditHash, GENESIS_HASH } from './audit-hash';
import { type AuditBundle, type BundleStream, bundleMessage, bundleSchema } from './bundle-format';
import {
  CHECKPOINT_GENESIS,
  CHECKPOINT_VERSION,
  checkpointHash,
  checkpointLeafHash,
  checkpointMessage,
  parsePublicKey,
  type SignedCheckpoint,
  verifySignature,
} from './checkpoint-format';
import { rootFromInclusionProof } from './merkle';

export type BundleProblemCode =
  /** The bundle's own signature does not match its content: the file was changed after export. */
  | 'bundle-signature'
  /** The bundle or a checkpoint was signed with another key than the one given. */
  | 'wrong-key'
  | 'checkpoint-signature'
  /** A checkpoint's stated hash is not its content's. */
  | 'checkpoint-hash'
  /** A checkpoint does not chain to the one before it, or one is missing. */
  | 'checkpoint-chain'
  /** An inclusion proof does not lead to its checkpoint's signed root. */
  | 'proof'
  /** An event's content does not hash to its stored hash. */
  | 'event-edited'
  /** Events are missing from inside a stream. */
  | 'event-missing'
  /** An event is out of place: its link points at another event of the stream, or its number repeats. */
  | 'event-reordered'
  /** An event's link to the previous one is broken (not explained by reordering). */
  | 'event-link'
  /** The stream's last events are gone: a signed checkpoint or the recorded head covers events past its end. */
  | 'tail-truncated'
  /** The stream no longer matches a signed checkpoint: its chain was rebuilt. */
  | 'chain-rewritten'
  /** The head recorded in the bundle is not the stream's last event. */
  | 'head-mismatch';

export interface BundleProblem {
  code: BundleProblemCode;
  stream?: string;
  /** The event named: the first one the problem concerns. */
  seq?: number;
  checkpoint?: number;
  message: string;
}

export interface StreamReport {
  stream: string;
  events: number;
  head: { seq: number; hash: string };
  /** The last event a signed checkpoint of the bundle covers, and which checkpoint. */
  coveredUpTo: { seq: number; checkpoint: number } | null;
  ok: boolean;
}

export type BundleVerification =
  | {
      status: 'verified' | 'tampered';
      problems: BundleProblem[];
      /** Facts that are not tampering: events too recent for a checkpoint, say. */
      notes: string[];
      streams: StreamReport[];
      checkpoints: { count: number; last: { seq: number; createdAt: string; hash: string } | null };
      keyFingerprint: string;
      exportedAt: string;
    }
  | { status: 'bad-input'; error: string };

/**
 * Verifies a bundle (its JSON text) against an Ed25519 public key (PEM): the bundle's signature,
 * the chain and signatures of its checkpoints, its inclusion proofs, and every stream's hash chain
 * against its head and against every signed checkpoint that covers it. Each problem names the
 * stream and event.
 *
 * @example
 * const v = verifyBundle(readFileSync('bundle.json', 'utf8'), readFileSync('audit-public-key.pem', 'utf8'));
 * if (v.status === 'tampered') for (const p of v.problems) console.error(p.message);
 */
export function verifyBundle(bundleText: string, publicKeyPem: string): BundleVerification {
  const key = parsePublicKey(publicKeyPem);
  if ('error' in key) return { status: 'bad-input', error: `The public key is ${key.error}` };
  let json: unknown;
  try {
    json = JSON.parse(bundleText);
  } catch (e) {
    return { status: 'bad-input', error: `The bundle is not JSON: ${e instanceof Error ? e.message : e}` };
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') || '(top level)';
    return { status: 'bad-input', error: `The bundle is not a Signoff audit bundle: ${path}: ${issue?.message}` };
  }
  const bundle = parsed.data;
  const problems: BundleProblem[] = [];
  const notes: string[] = [];
  const fp = key.fingerprint;

  const { signature, ...unsigned } = bundle;
  if (signature.keyFingerprint !== fp)
    problems.push({
      code: 'wrong-key',
      message: `The bundle was signed by key ${signature.keyFingerprint}, not by the public key given (${fp})`,
    });
  else if (!verifySignature(bundleMessage(unsigned), signature.value, key.key))
    problems.push({
      code: 'bundle-signature',
      message: 'The bundle does not match its signature: the file was changed after it was exported',
    });

  const given = `the public key given (${fp})`;
  const trusted = verifyCheckpointChain(bundle.checkpoints, (f) => (f === fp ? key.key : undefined), given, problems);
  const leaves = provenLeaves(bundle, trusted, problems);
  const streams = bundle.streams.map((s) => verifyStream(s, leaves.get(s.stream) ?? [], problems, notes));
  const last = bundle.checkpoints.at(-1);
  return {
    status: problems.length ? 'tampered' : 'verified',
    problems,
    notes,
    streams,
    checkpoints: {
      count: bundle.checkpoints.length,
      last: last ? { seq: last.seq, createdAt: last.createdAt, hash: last.hash } : null,
    },
    keyFingerprint: fp,
    exportedAt: bundle.exportedAt,
  };
}

/**
 * Checks a chain of checkpoints (hash, link to the one before, signature by the key `keyFor` gives
 * for its fingerprint; `keys` describes those keys in messages). Returns the signed roots, by
 * checkpoint seq, that can be trusted.
 */
export function verifyCheckpointChain(
  checkpoints: readonly SignedCheckpoint[],
  keyFor: (fingerprint: string) => KeyObject | undefined,
  keys: string,
  problems: BundleProblem[],
): Map<number, { root: string; leafCount: number }> {
  const trusted = new Map<number, { root: string; leafCount: number }>();
  let prev = CHECKPOINT_GENESIS;
  let expected = 1;
  for (const c of checkpoints) {
    const bad = (code: BundleProblemCode, message: string) =>
      problems.push({ code, checkpoint: c.seq, message: `Checkpoint ${c.seq}: ${message}` });
    if (c.seq !== expected) bad('checkpoint-chain', `expected checkpoint ${expected} here (a checkpoint is missing)`);
    else if (c.prevHash !== prev) bad('checkpoint-chain', `it does not chain to checkpoint ${c.seq - 1}`);
    expected = c.seq + 1;
    prev = c.hash;
    if (c.version !== CHECKPOINT_VERSION) {
      bad('checkpoint-hash', `unknown checkpoint version ${c.version}`);
      continue;
    }
    if (checkpointHash(c) !== c.hash) bad('checkpoint-hash', 'its stated hash is not the hash of its content');
    const key = keyFor(c.keyFingerprint);
    if (!key) {
      bad('wrong-key', `it was signed by key ${c.keyFingerprint}, not by ${keys}`);
      continue;
    }
    if (!verifySignature(checkpointMessage(c), c.signature, key)) {
      bad('checkpoint-signature', `its signature is not valid for ${keys}`);
      continue;
    }
    trusted.set(c.seq, { root: c.root, leafCount: c.leafCount });
  }
  return trusted;
}

export interface ProvenLeaf {
  checkpoint: number;
  seq: number;
  hash: string;
}

/** The leaves whose proofs lead to a trusted root, per stream, by checkpoint. */
function provenLeaves(
  bundle: AuditBundle,
  trusted: Map<number, { root: string; leafCount: number }>,
  problems: BundleProblem[],
): Map<string, ProvenLeaf[]> {
  const byStream = new Map<string, ProvenLeaf[]>();
  for (const p of bundle.proofs) {
    const signed = trusted.get(p.checkpoint);
    if (!signed) continue; // its checkpoint is already reported (or absent: nothing to trust)
    const root = rootFromInclusionProof(
      checkpointLeafHash(p),
      p.index,
      signed.leafCount,
      p.path.map((h) => Buffer.from(h, 'hex')),
    );
    if (root?.toString('hex') !== signed.root) {
      problems.push({
        code: 'proof',
        stream: p.stream,
        seq: p.seq,
        checkpoint: p.checkpoint,
        message: `Stream ${p.stream} event ${p.seq}: its proof of inclusion in checkpoint ${p.checkpoint} does not lead to the checkpoint's signed root`,
      });
      continue;
    }
    const list = byStream.get(p.stream) ?? [];
    list.push({ checkpoint: p.checkpoint, seq: p.seq, hash: p.hash });
    byStream.set(p.stream, list);
  }
  for (const list of byStream.values()) list.sort((a, b) => a.checkpoint - b.checkpoint);
  return byStream;
}

/**
 * One stream's chain, head and checkpoint coverage (`leaves`: its leaves whose checkpoints are
 * trusted, oldest checkpoint first). Appends its problems; `audit.status` runs it on the database's
 * streams too.
 */
export function verifyStream(
  s: BundleStream,
  leaves: ProvenLeaf[],
  problems: BundleProblem[],
  notes: string[],
): StreamReport {
  const before = problems.length;
  const name = `Stream ${s.stream}`;
  const bad = (code: BundleProblemCode, seq: number, message: string, checkpoint?: number) =>
    problems.push({
      code,
      stream: s.stream,
      seq,
      ...(checkpoint === undefined ? {} : { checkpoint }),
      message: `${name} event ${seq}: ${message}`,
    });

  // The chain, in the bundle's order.
  const hashOf = new Map<string, number>(s.events.map((e) => [e.hash, e.seq]));
  let prev = GENESIS_HASH;
  let expected = 1;
  for (const e of s.events) {
    if (e.seq !== expected) {
      if (e.seq > expected && s.events.some((later) => later.seq === expected))
        bad('event-reordered', e.seq, `out of order: it comes before event ${expected}`);
      else if (e.seq > expected)
        bad(
          'event-missing',
          expected,
          e.seq === expected + 1
            ? `missing (the next event in the bundle is ${e.seq})`
            : `missing, and the events up to ${e.seq - 1} (the next event in the bundle is ${e.seq})`,
        );
      else bad('event-reordered', e.seq, `out of order: it comes after event ${expected - 1}`);
      break;
    }
    if (e.prevHash !== prev) {
      const linked = hashOf.get(e.prevHash);
      if (linked !== undefined && linked !== expected - 1)
        bad('event-reordered', e.seq, `out of order: it links to event ${linked}, not to event ${expected - 1}`);
      else bad('event-link', e.seq, `its link to event ${expected - 1} is broken`);
      break;
    }
    const recomputed = auditHash(prev, {
      stream: s.stream,
      seq: e.seq,
      itemId: e.itemId,
      actorType: e.actorType,
      actorId: e.actorId,
      action: e.action,
      data: e.data,
      createdAt: e.createdAt,
    });
    if (recomputed !== e.hash) {
      bad('event-edited', e.seq, 'its content does not match its hash (edited)');
      break;
    }
    prev = e.hash;
    expected++;
  }
  const intact = problems.length === before;
  const lastEvent = s.events.at(-1);
  const lastSeq = lastEvent?.seq ?? 0;

  // The recorded head must be the last event.
  if (intact && (s.head.seq !== lastSeq || s.head.hash !== (lastEvent?.hash ?? GENESIS_HASH)))
    bad(
      s.head.seq > lastSeq ? 'tail-truncated' : 'head-mismatch',
      s.head.seq > lastSeq ? lastSeq + 1 : s.head.seq,
      s.head.seq > lastSeq
        ? `missing: the stream ends at event ${lastSeq} but its recorded head is event ${s.head.seq}`
        : `the recorded head (event ${s.head.seq}) is not the stream's last event (${lastSeq})`,
    );

  // Every signed checkpoint that covers the stream must find its events where it left them.
  const bySeq = new Map(s.events.map((e) => [e.seq, e]));
  let coveredUpTo: StreamReport['coveredUpTo'] = null;
  let lastMatch: ProvenLeaf | undefined;
  for (const leaf of leaves) {
    const e = bySeq.get(leaf.seq);
    if (!e) {
      if (leaf.seq > lastSeq)
        bad(
          'tail-truncated',
          lastSeq + 1,
          `missing: signed checkpoint ${leaf.checkpoint} covers the stream up to event ${leaf.seq}, but it ends at event ${lastSeq}`,
          leaf.checkpoint,
        );
      else bad('event-missing', leaf.seq, `missing: signed checkpoint ${leaf.checkpoint} covers it`, leaf.checkpoint);
      break;
    }
    if (e.hash !== leaf.hash) {
      bad(
        'chain-rewritten',
        leaf.seq,
        `does not match signed checkpoint ${leaf.checkpoint} (signed ${leaf.hash.slice(0, 12)}…, found ${e.hash.slice(0, 12)}…): the chain was rewritten at or before this event${lastMatch ? `, after event ${lastMatch.seq} (still as checkpoint ${lastMatch.checkpoint} signed it)` : ''}`,
        leaf.checkpoint,
      );
      break;
    }
    lastMatch = leaf;
    if (!coveredUpTo || leaf.seq >= coveredUpTo.seq) coveredUpTo = { seq: leaf.seq, checkpoint: leaf.checkpoint };
  }
  if (lastSeq > (coveredUpTo?.seq ?? 0))
    notes.push(
      `${name}: events ${(coveredUpTo?.seq ?? 0) + 1} to ${lastSeq} are newer than the bundle's last checkpoint of the stream; the bundle's signature vouches for them`,
    );
  return {
    stream: s.stream,
    events: s.events.length,
    head: s.head,
    coveredUpTo,
    ok: problems.length === before,
  };
}
