import type { FlavorRequirements } from './config.js';
import type { MachineFacts } from './machine.js';

/** Which machines a flavor takes, and in which order: the smallest that fits first. */

export function totalDiskGiB(facts: MachineFacts): number {
  return facts.disks.reduce((sum, d) => sum + d.sizeGiB, 0);
}

export function satisfies(facts: MachineFacts, flavor: FlavorRequirements): boolean {
  return (
    facts.cpus >= flavor.cpus &&
    facts.memoryGiB >= flavor.memoryGiB &&
    totalDiskGiB(facts) >= flavor.diskGiB &&
    facts.gpus >= flavor.gpus &&
    facts.arch === flavor.arch
  );
}

/**
 * Best fit: a small request should not take the biggest machine while a small one is free, or the next big
 * request finds nothing. Fewest GPUs, then CPUs, then memory, then disk; the name breaks ties so the choice repeats.
 */
export function bestFitOrder(a: { name: string; facts: MachineFacts }, b: { name: string; facts: MachineFacts }): number {
  return (
    a.facts.gpus - b.facts.gpus ||
    a.facts.cpus - b.facts.cpus ||
    a.facts.memoryGiB - b.facts.memoryGiB ||
    totalDiskGiB(a.facts) - totalDiskGiB(b.facts) ||
    a.name.localeCompare(b.name)
  );
}

/** "≥ 8 CPUs, ≥ 32 GiB" — a flavor's minimums as people read them. */
export function describeFlavor(name: string, f: FlavorRequirements): string {
  const parts = [`≥ ${f.cpus} CPUs`, `≥ ${f.memoryGiB} GiB memory`];
  if (f.diskGiB > 0) parts.push(`≥ ${f.diskGiB} GiB disk`);
  if (f.gpus > 0) parts.push(`≥ ${f.gpus} GPUs`);
  parts.push(f.arch);
  return `${name} (${parts.join(', ')})`;
}
