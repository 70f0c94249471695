// Deterministic randomness for the statistical tests: a failure names its seed.

/** mulberry32: a small, fast, seeded generator of uniform numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The most failures in `runs` independent runs that a procedure failing with probability `rate`
 * shows with probability about 99.9%: rate * runs plus three and a bit standard deviations. A
 * simulation whose failures stay within it has not shown the procedure to fail more often.
 */
export function allowedFailures(rate: number, runs: number): number {
  return Math.ceil(rate * runs + 3.1 * Math.sqrt(rate * (1 - rate) * runs));
}
