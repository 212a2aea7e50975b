import type { InstanceUsageFacts, Phase } from '../../core/instance.js';

/**
 * What an instance is billed for in each phase: compute while it runs; only its storage while it is stopped
 * (the provider keeps its disks); nothing before it first runs or once it is gone. A failed instance that never
 * ran has no machine to bill.
 */
export type BillableState = 'running' | 'stopped';

const STATE_OF_PHASE: Record<Phase, BillableState | null> = {
  Pending: null,
  Provisioning: null,
  Running: 'running',
  Stopped: 'stopped',
  Deleting: null,
  Deleted: null,
  Failed: null,
};

export function billableState(phase: Phase): BillableState | null {
  return STATE_OF_PHASE[phase] ?? null;
}

/** The facts that make a segment: a change in any of them ends one segment and starts the next. */
export interface SegmentFacts {
  state: BillableState;
  project: string;
  name: string;
  provider: string;
  priceKey: string;
  region: string;
  zone: string | null;
  flavor: string;
  market: string;
  kind: string;
  labels: Record<string, string>;
  externalId: string | null;
}

/** The segment an instance's event puts it in, or null when it is not billed at that moment. */
export function segmentFactsOf(
  facts: InstanceUsageFacts,
  project: string,
  priceKeyOf: (provider: string) => string,
): SegmentFacts | null {
  const state = billableState(facts.phase);
  if (state === null) return null;
  return {
    state,
    project,
    name: facts.name,
    provider: facts.provider,
    priceKey: priceKeyOf(facts.provider),
    region: facts.region,
    zone: facts.zone,
    flavor: facts.flavor,
    market: facts.market,
    kind: facts.kind ?? 'vm',
    labels: facts.labels,
    // The provider's id can arrive after the machine started running; it names the same usage.
    externalId: facts.externalId,
  };
}

/** Whether two moments of one instance belong to the same segment (the provider id alone never splits one). */
export function sameSegment(a: SegmentFacts, b: SegmentFacts): boolean {
  return (
    a.state === b.state &&
    a.project === b.project &&
    a.name === b.name &&
    a.provider === b.provider &&
    a.priceKey === b.priceKey &&
    a.region === b.region &&
    a.zone === b.zone &&
    a.flavor === b.flavor &&
    a.market === b.market &&
    a.kind === b.kind &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels)
  );
}
