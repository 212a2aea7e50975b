import type { ControlPlane } from '../../src/api/control-plane.js';
import { simDriverOf } from './control-plane.js';

export type CallCounts = Record<string, number>;

/** Calls the sim providers received, by verb, summed over the given providers (failed calls included). */
export function providerCalls(cp: ControlPlane, providers: string[]): CallCounts {
  const total: CallCounts = {};
  for (const name of providers) {
    for (const [verb, n] of Object.entries(simDriverOf(cp, name).simState().calls)) total[verb] = (total[verb] ?? 0) + (n ?? 0);
  }
  return total;
}

/** Errors the sim providers returned, by provider code, summed over the given providers. */
export function providerErrors(cp: ControlPlane, providers: string[]): CallCounts {
  const total: CallCounts = {};
  for (const name of providers) {
    for (const [code, n] of Object.entries(simDriverOf(cp, name).simState().errors)) total[code] = (total[code] ?? 0) + n;
  }
  return total;
}

/** Sums a prom-client counter of this control plane by one label (e.g. reconciles by `result`). */
export async function counterBy(counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, label: string): Promise<CallCounts> {
  const out: CallCounts = {};
  for (const v of (await counter.get()).values) {
    const key = String(v.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

export function sum(counts: CallCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** `observe 10,000 · create 10,204` */
export function describeCounts(counts: CallCounts): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`)
    .join(' · ');
}
