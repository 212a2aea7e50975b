import { z } from 'zod';
import { Condition, Labels, LabelKey, ResourceMeta, type Resource } from './resource.js';
import { InstanceKindEnum, Market, type InstanceKind } from './offer.js';
import { NAME_PATTERN } from './ids.js';

export const Phase = z.enum(['Pending', 'Provisioning', 'Running', 'Stopped', 'Deleting', 'Deleted', 'Failed']);
export type Phase = z.infer<typeof Phase>;

export const Requirements = z
  .object({
    vcpus: z.number().positive().max(1024),
    memoryGiB: z.number().positive().max(65536),
    gpus: z.number().int().min(0).max(64).default(0),
    arch: z.enum(['x86_64', 'arm64']).optional(),
  })
  .strict()
  .meta({ id: 'Requirements' });
export type Requirements = z.infer<typeof Requirements>;

export const PowerState = z.enum(['on', 'off']);
export type PowerState = z.infer<typeof PowerState>;

export const DriftPolicy = z.enum(['recreate', 'report']);
export type DriftPolicy = z.infer<typeof DriftPolicy>;

export const InstanceName = z.string().regex(NAME_PATTERN, {
  message: 'names are 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit',
});

/** What a client asks for. Either `flavor` (with `provider`) or `requirements`; the API resolves the latter. */
export const InstanceCreate = z
  .object({
    name: InstanceName,
    project: InstanceName.default('default'),
    labels: Labels.default({}),
    provider: z.string().min(1).max(63).optional(),
    region: z.string().min(1).max(63).optional(),
    zone: z.string().min(1).max(63).optional(),
    flavor: z.string().min(1).max(63).optional(),
    requirements: Requirements.optional(),
    image: z.string().min(1).max(255).default('ubuntu-24.04'),
    market: Market.default('on-demand'),
    userData: z.string().max(65536).optional(),
    powerState: PowerState.default('on'),
    driftPolicy: DriftPolicy.default('report'),
  })
  .strict()
  .refine((v) => v.flavor !== undefined || v.requirements !== undefined, {
    message: 'give either "flavor" (a provider flavor such as m6i.large) or "requirements" ({vcpus, memoryGiB})',
    path: ['flavor'],
  })
  .meta({ id: 'InstanceCreate' });
export type InstanceCreate = z.infer<typeof InstanceCreate>;

/** Why the API placed an instance where it did (recorded at create, shown by `instance get`). */
export const Scheduling = z
  .object({
    reason: z.string(),
    priceMicrosPerHour: z.number().int(),
    alternatives: z.array(
      z.object({ provider: z.string(), region: z.string(), flavor: z.string(), priceMicrosPerHour: z.number().int() }),
    ),
  })
  .meta({ id: 'Scheduling' });
export type Scheduling = z.infer<typeof Scheduling>;

export const InstanceSpec = z
  .object({
    provider: z.string(),
    region: z.string(),
    zone: z.string().nullable(),
    flavor: z.string(),
    requirements: Requirements.nullable(),
    image: z.string(),
    market: Market,
    userData: z.string().nullable(),
    powerState: PowerState,
    driftPolicy: DriftPolicy,
    /** False for instances found by discovery and not adopted: Tessera observes them but never acts. */
    managed: z.boolean(),
    /** Bumped by each reboot request; the controller reboots until status.observedReboots catches up. */
    reboots: z.number().int(),
    /**
     * For an instance placed from requirements: what the request fixed (null where it let Tessera choose). After a
     * capacity or quota error the instance is re-placed on the next-cheapest offer within these. Absent for a
     * named flavor, which is never moved.
     */
    constraints: z
      .object({ provider: z.string().nullable(), region: z.string().nullable(), zone: z.string().nullable() })
      .nullable()
      .optional(),
  })
  .meta({ id: 'InstanceSpec' });
export type InstanceSpec = z.infer<typeof InstanceSpec>;

export const PlacementFailure = z
  .object({
    provider: z.string(),
    region: z.string(),
    flavor: z.string(),
    errorClass: z.string(),
    /** The provider's own code, e.g. InsufficientInstanceCapacity. */
    code: z.string().nullable(),
    message: z.string(),
    at: z.string(),
  })
  .meta({ id: 'PlacementFailure' });
export type PlacementFailure = z.infer<typeof PlacementFailure>;

export const InstanceStatus = z
  .object({
    phase: Phase,
    reason: z.string().nullable(),
    message: z.string().nullable(),
    /** The provider's own id for the machine, once known. */
    externalId: z.string().nullable(),
    /** Idempotency token of the current create attempt; the provider carries it (ClientToken, a tag or label). */
    createToken: z.string().nullable(),
    createAttempt: z.number().int(),
    addresses: z.array(z.object({ type: z.enum(['private', 'public']), address: z.string() })),
    kind: InstanceKindEnum.nullable(),
    observedGeneration: z.number().int(),
    lastObservedAt: z.string().nullable(),
    conditions: z.array(Condition),
    scheduling: Scheduling.nullable(),
    discovered: z.boolean(),
    observedReboots: z.number().int(),
    /** Offers that refused this instance (capacity, quota), oldest first: re-placement avoids their regions. */
    placementFailures: z.array(PlacementFailure).optional(),
  })
  .meta({ id: 'InstanceStatus' });
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export type Instance = Resource<InstanceSpec, InstanceStatus>;

export const InstanceView = z
  .object({ ...ResourceMeta, spec: InstanceSpec, status: InstanceStatus })
  .meta({ id: 'Instance' });

export const InstanceAction = z.enum(['start', 'stop', 'reboot']);
export type InstanceAction = z.infer<typeof InstanceAction>;

export const INSTANCE_KIND = 'Instance';

export function initialInstanceStatus(): InstanceStatus {
  return {
    phase: 'Pending',
    reason: null,
    message: null,
    externalId: null,
    createToken: null,
    createAttempt: 0,
    addresses: [],
    kind: null,
    observedGeneration: 0,
    lastObservedAt: null,
    conditions: [],
    scheduling: null,
    discovered: false,
    observedReboots: 0,
  };
}

/** What the metering ledger needs to know of an instance at each of its events (see Store.recordEventFacts). */
export interface InstanceUsageFacts {
  phase: Phase;
  name: string;
  provider: string;
  region: string;
  zone: string | null;
  flavor: string;
  market: Market;
  kind: InstanceKind | null;
  labels: Record<string, string>;
  externalId: string | null;
}

export function instanceUsageFacts(i: Instance): InstanceUsageFacts {
  return {
    phase: i.status.phase,
    name: i.name,
    provider: i.spec.provider,
    region: i.spec.region,
    zone: i.spec.zone,
    flavor: i.spec.flavor,
    market: i.spec.market,
    kind: i.status.kind,
    labels: i.labels,
    externalId: i.status.externalId,
  };
}

/** Phases in which the controller has nothing left to do unless something changes. */
export function isSettled(i: Instance): boolean {
  const p = i.status.phase;
  if (p === 'Deleted' || p === 'Failed') return true;
  if (!i.spec.managed) return true;
  const powerOk = (p === 'Running' && i.spec.powerState === 'on') || (p === 'Stopped' && i.spec.powerState === 'off');
  return powerOk && i.status.observedGeneration === i.generation && i.status.observedReboots >= i.spec.reboots && i.deletedAt === null;
}

export { LabelKey };
