import { splitByLargestRemainder } from './largest-remainder.js';

/** How a cost that belongs to no project is divided among those that do. */
export type Split = 'even' | 'proportional';

export interface Shares {
  /** By name: the order ties of the largest-remainder method are broken in. */
  projects: string[];
  shares: number[];
  /** Proportional was asked but every recipient was charged 0 (only stopped or unpriced instances): split evenly. */
  fellBackToEven: boolean;
}

/**
 * Splits `amount` µ$ over the projects of `charged` (project → µ$ charged in the same bucket): equally, or in
 * proportion to their charge; exactly, by the largest remainder. Null when there is nobody to give it to.
 */
export function shareOut(amount: number, charged: ReadonlyMap<string, number>, split: Split): Shares | null {
  if (charged.size === 0) return null;
  const projects = [...charged.keys()].sort();
  const weights = projects.map((p) => BigInt(charged.get(p)!));
  const nothingCharged = weights.every((w) => w === 0n);
  const even = split === 'even' || nothingCharged;
  return {
    projects,
    shares: splitByLargestRemainder(amount, even ? projects.map(() => 1n) : weights),
    fellBackToEven: split === 'proportional' && nothingCharged,
  };
}
