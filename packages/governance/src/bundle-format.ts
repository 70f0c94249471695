// The audit bundle (`signoff audit export`): one JSON file an auditor verifies without our database.
// Its format is documented in docs/audit.md; this schema is what the verifier accepts.
import { createHash } from 'node:crypto';
import { canonicalJson } from '@signoff/core';
import { z } from 'zod';

export const BUNDLE_FORMAT = 'signoff-audit-bundle';
export const BUNDLE_VERSION = 1;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits (a SHA-256)');
const seq = z.number().int().min(1);
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time');

export const bundleEventSchema = z.strictObject({
  seq: z.number().int(),
  itemId: z.string().nullable(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
export type BundleEvent = z.infer<typeof bundleEventSchema>;

export const bundleStreamSchema = z.strictObject({
  stream: z.string().min(1),
  /** The head the database recorded for the stream when exported. */
  head: z.strictObject({ seq: z.number().int().min(0), hash: z.string() }),
  events: z.array(bundleEventSchema),
});
export type BundleStream = z.infer<typeof bundleStreamSchema>;

export const bundleCheckpointSchema = z.strictObject({
  version: z.number().int(),
  seq,
  createdAt: isoTime,
  prevHash: hex64,
  root: hex64,
  leafCount: z.number().int().min(0),
  keyFingerprint: hex64,
  hash: hex64,
  signature: z.string(),
});

/** That leaf `index` of checkpoint `checkpoint`'s tree is (stream, seq, hash): its audit path. */
export const bundleProofSchema = z.strictObject({
  checkpoint: seq,
  index: z.number().int().min(0),
  stream: z.string().min(1),
  seq,
  hash: z.string(),
  path: z.array(hex64),
});
export type BundleProof = z.infer<typeof bundleProofSchema>;

export const bundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT, { error: `expected format "${BUNDLE_FORMAT}"` }),
  version: z.literal(BUNDLE_VERSION, { error: `expected version ${BUNDLE_VERSION}` }),
  exportedAt: isoTime,
  selection: z.strictObject({
    items: z.array(z.string()).nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
  streams: z.array(bundleStreamSchema),
  /** Every checkpoint from the first, in order. */
  checkpoints: z.array(bundleCheckpointSchema),
  proofs: z.array(bundleProofSchema),
  signature: z.strictObject({ keyFingerprint: hex64, value: z.string() }),
});
export type AuditBundle = z.infer<typeof bundleSchema>;
export type UnsignedBundle = Omit<AuditBundle, 'signature'>;

/**
 * What the bundle's signature signs: `signoff-audit-bundle=1\nsha256=<hex>`, the SHA-256 of the
 * canonical JSON (keys sorted, no spaces) of the bundle without its `signature`.
 */
export function bundleMessage(bundle: UnsignedBundle): Buffer {
  const digest = createHash('sha256').update(canonicalJson(bundle)).digest('hex');
  return Buffer.from(`${BUNDLE_FORMAT}=${bundle.version}\nsha256=${digest}`, 'utf8');
}
