// The hash of one audit event. Pure: the offline bundle verifier recomputes chains with it too.
import { createHash } from 'node:crypto';
import { canonicalJson } from '@signoff/core';

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of one event: SHA-256 over the previous hash and the event's canonical JSON. */
export function auditHash(
  prevHash: string,
  e: {
    stream: string;
    seq: number;
    itemId: string | null;
    actorType: string;
    actorId: string | null;
    action: string;
    data: Record<string, unknown>;
    createdAt: string;
  },
): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(e)).digest('hex');
}
