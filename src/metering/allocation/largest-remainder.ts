/**
 * Splits an integer amount of micro-dollars over claimants in proportion to their weights, exactly: each gets the
 * floor of its exact share, and the micro-dollars left over go one each to the largest fractional remainders
 * (Hamilton's largest-remainder method). Ties go to the claimant listed first, so callers list them in a stable
 * order (by project name). The shares always add up to the amount; no share is off its exact value by 1 µ$ or more.
 *
 * A negative amount (idle capacity below zero: instances paid for more than the capacity cost) is split as its
 * magnitude and given back negative, so the same rule applies either way.
 */
export function splitByLargestRemainder(amount: number, weights: readonly bigint[]): number[] {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`amount must be a whole number of micro-dollars, not ${amount}`);
  if (weights.length === 0) throw new RangeError('nothing to split over: no claimants');
  let total = 0n;
  for (const w of weights) {
    if (w < 0n) throw new RangeError(`weights must not be negative (got ${w})`);
    total += w;
  }
  if (total === 0n) throw new RangeError('nothing to split by: every weight is zero');
  const sign = amount < 0 ? -1 : 1;
  const magnitude = BigInt(Math.abs(amount));
  const floors: bigint[] = [];
  const remainders: { index: number; remainder: bigint }[] = [];
  let given = 0n;
  weights.forEach((w, index) => {
    const exact = magnitude * w;
    const floor = exact / total;
    floors.push(floor);
    remainders.push({ index, remainder: exact % total });
    given += floor;
  });
  // Fewer than `weights.length` micro-dollars are left: one each to the largest remainders.
  const left = Number(magnitude - given);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (let k = 0; k < left; k++) {
    const i = remainders[k]!.index;
    floors[i] = floors[i]! + 1n;
  }
  return floors.map((f) => (f === 0n ? 0 : sign * Number(f)));
}
