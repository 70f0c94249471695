// The Merkle tree hash of RFC 6962 (Certificate Transparency, section 2.1), with its audit paths:
// leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || left || right), the left subtree of n
// leaves holding the largest power of two below n. Pure: the offline verifier uses it too.
import { createHash } from 'node:crypto';

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

export function leafHash(leaf: Buffer): Buffer {
  return sha256(Buffer.from([0]), leaf);
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.from([1]), left, right);
}

/** The largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[n]) over the leaves' hashes (already `leafHash`ed). The empty tree's hash is SHA-256 of
 * nothing.
 *
 * @example
 * const root = merkleRoot(leaves.map(leafHash)).toString('hex');
 */
export function merkleRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return sha256();
  if (hashes.length === 1) return hashes[0] as Buffer;
  const k = split(hashes.length);
  return nodeHash(merkleRoot(hashes.slice(0, k)), merkleRoot(hashes.slice(k)));
}

/** PATH(m, D[n]) of RFC 6962 2.1.1: the sibling hashes from the leaf up to the root. */
export function inclusionProof(hashes: readonly Buffer[], index: number): Buffer[] {
  if (index < 0 || index >= hashes.length) throw new RangeError(`leaf ${index} is not in a tree of ${hashes.length}`);
  if (hashes.length === 1) return [];
  const k = split(hashes.length);
  return index < k
    ? [...inclusionProof(hashes.slice(0, k), index), merkleRoot(hashes.slice(k))]
    : [...inclusionProof(hashes.slice(k), index - k), merkleRoot(hashes.slice(0, k))];
}

/**
 * The root an audit path leads to from leaf `index` of a tree of `size` leaves (RFC 9162 2.1.3.2),
 * or undefined when the path has the wrong length for that position.
 */
export function rootFromInclusionProof(
  leaf: Buffer,
  index: number,
  size: number,
  path: readonly Buffer[],
): Buffer | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}
