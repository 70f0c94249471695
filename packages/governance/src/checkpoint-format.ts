// What a signed checkpoint of the audit log is, byte for byte: its leaves, its message, its hash,
// its signature. Pure (node:crypto only): the database side and the offline verifier share it, and
// docs/audit.md describes the same bytes for auditors who write their own verifier.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { AppError } from '@signoff/core';
import { leafHash } from './merkle';

export const CHECKPOINT_VERSION = 1;
/** The hash a first checkpoint chains to. */
export const CHECKPOINT_GENESIS = '0'.repeat(64);

/** A stream's head when the checkpoint was made: its last event's place and hash. */
export interface CheckpointLeaf {
  stream: string;
  seq: number;
  hash: string;
}

/** The signed part of a checkpoint. */
export interface CheckpointHeader {
  version: number;
  seq: number;
  /** ISO 8601, UTC, milliseconds. */
  createdAt: string;
  prevHash: string;
  /** RFC 6962 Merkle tree hash of the leaves, hex. */
  root: string;
  leafCount: number;
  keyFingerprint: string;
}

export interface SignedCheckpoint extends CheckpointHeader {
  /** SHA-256 of the message, hex: what the next checkpoint's `prevHash` is. */
  hash: string;
  /** Ed25519 signature of the message, base64. */
  signature: string;
}

/** A leaf's bytes: `stream \n seq \n hash` in UTF-8 (streams are item ids, `config`, `security`). */
export function leafBytes(leaf: CheckpointLeaf): Buffer {
  return Buffer.from(`${leaf.stream}\n${leaf.seq}\n${leaf.hash}`, 'utf8');
}

export function checkpointLeafHash(leaf: CheckpointLeaf): Buffer {
  return leafHash(leafBytes(leaf));
}

/** Leaves in the order the tree takes them: by stream, compared as strings of code units. */
export function sortLeaves<T extends CheckpointLeaf>(leaves: T[]): T[] {
  return [...leaves].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
}

/**
 * The signed message: seven lines, each `name=value`, joined by `\n`, no trailing newline.
 *
 * @example
 * signoff-audit-checkpoint=1
 * seq=12
 * created_at=2026-12-02T01:00:00.000Z
 * prev=<64 hex>
 * root=<64 hex>
 * leaves=40
 * key=<64 hex>
 */
export function checkpointMessage(h: CheckpointHeader): Buffer {
  return Buffer.from(
    [
      `signoff-audit-checkpoint=${h.version}`,
      `seq=${h.seq}`,
      `created_at=${h.createdAt}`,
      `prev=${h.prevHash}`,
      `root=${h.root}`,
      `leaves=${h.leafCount}`,
      `key=${h.keyFingerprint}`,
    ].join('\n'),
    'utf8',
  );
}

export function checkpointHash(h: CheckpointHeader): string {
  return createHash('sha256').update(checkpointMessage(h)).digest('hex');
}

/** SHA-256 of the public key's DER SubjectPublicKeyInfo, hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The Ed25519 key that signs checkpoints and bundles. */
export interface AuditSigner {
  fingerprint: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  /** Ed25519 signature, base64. */
  sign(message: Buffer): string;
}

/**
 * A signer from a PKCS#8 PEM private key; anything else (another key type, a public key, junk) is
 * refused with `BAD_INPUT`.
 *
 * @example
 * const signer = auditSignerFromPem(readFileSync('.signoff/audit-signing-key.pem', 'utf8'));
 */
export function auditSignerFromPem(pem: string, source = 'the audit signing key'): AuditSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new AppError('BAD_INPUT', `${source} is not a PEM private key`, { cause: e });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new AppError('BAD_INPUT', `${source} is a ${key.asymmetricKeyType} key; an Ed25519 key is needed`);
  const publicKey = createPublicKey(key);
  return {
    fingerprint: keyFingerprint(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (message) => sign(null, message, key).toString('base64'),
  };
}

/** An Ed25519 public key from PEM (SPKI), or a reason why not. */
export function parsePublicKey(pem: string): { key: KeyObject; fingerprint: string } | { error: string } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { error: 'not a PEM public key' };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { error: `a ${key.asymmetricKeyType} key, not Ed25519` };
  return { key, fingerprint: keyFingerprint(key) };
}

export function verifySignature(message: Buffer, signatureBase64: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, message, publicKey, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}
