import { describe, expect, it } from 'vitest';
import { inclusionProof, leafHash, merkleRoot, rootFromInclusionProof } from './merkle';

// The test vectors of Certificate Transparency's reference implementation (RFC 6962): eight
// leaves and the tree hash of each prefix of them.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (h) => Buffer.from(h, 'hex'),
);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hashes = LEAVES.map(leafHash);

describe('RFC 6962 Merkle tree', () => {
  it('gives the reference tree hash of every prefix of the test leaves', () => {
    for (let n = 1; n <= 8; n++) expect(merkleRoot(hashes.slice(0, n)).toString('hex')).toBe(ROOTS[n - 1]);
  });

  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(merkleRoot([]).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the reference audit path of leaf 0 in the tree of 8', () => {
    expect(inclusionProof(hashes, 0).map((h) => h.toString('hex'))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });

  it('leads every leaf of every tree size to its root, and no other leaf or position', () => {
    for (let n = 1; n <= 8; n++) {
      const tree = hashes.slice(0, n);
      for (let i = 0; i < n; i++) {
        const path = inclusionProof(tree, i);
        expect(rootFromInclusionProof(tree[i] as Buffer, i, n, path)?.toString('hex')).toBe(ROOTS[n - 1]);
        const other = tree[(i + 1) % n] as Buffer;
        if (n > 1) expect(rootFromInclusionProof(other, i, n, path)?.toString('hex')).not.toBe(ROOTS[n - 1]);
        if (n > 1)
          expect(rootFromInclusionProof(tree[i] as Buffer, (i + 1) % n, n, path)?.toString('hex')).not.toBe(
            ROOTS[n - 1],
          );
      }
    }
  });

  it('refuses a path of the wrong length and positions outside the tree', () => {
    const path = inclusionProof(hashes, 5);
    expect(rootFromInclusionProof(hashes[5] as Buffer, 5, 8, path.slice(1))).toBeUndefined();
    expect(rootFromInclusionProof(hashes[5] as Buffer, 5, 8, [...path, hashes[0] as Buffer])).toBeUndefined();
    expect(rootFromInclusionProof(hashes[5] as Buffer, 8, 8, path)).toBeUndefined();
  });
});
