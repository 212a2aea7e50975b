/**
 * A source of uniform numbers in [0, 1). With a seed, a sim's latency and injected faults repeat run after run,
 * which makes a failing chaos test reproducible; without one, Math.random is used.
 */
export type Random = () => number;

export function createRandom(seed?: number): Random {
  if (seed === undefined) return Math.random;
  // mulberry32: tiny, fast, and good enough to decide faults; not for anything secret.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
