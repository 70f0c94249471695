/**
 * mulberry32: a small, fast 32-bit generator of numbers in [0, 1); the same seed gives the same
 * sequence, so resampling (and test data) is reproducible.
 *
 * @example
 * const random = mulberry32(1);
 * random(); // 0.6270739405881613, on every run
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
