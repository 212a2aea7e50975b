import { z } from 'zod';
import { InvalidInputError } from '../../../core/errors.js';
import { asPages, parseInput } from './parse-input.js';

/**
 * GCE machine types and their sizes: the Cloud Billing Catalog prices per vCPU-hour and per GiB-hour, so a machine
 * type's price is worked out from its size. A user gives the machine types either as a plain list or as what their
 * own project offers: `machineTypes.aggregatedList` (`gcloud compute machine-types list --format=json` works too).
 */
export interface GceMachineType {
  name: string;
  /** The pricing family (`n2` for `n2-highmem-4`); the name's prefix when absent. */
  family?: string;
  vcpus: number;
  memoryGiB: number;
  gpus?: number;
  /** `x86_64` or `arm64`; from the family when absent. */
  arch?: string;
  /** Regions the type is offered in; absent: every region the catalog prices its family in. */
  regions?: string[];
  /** A shared-core type (e2-micro…): billed for a fraction of a vCPU that its size does not say. */
  sharedCpu?: boolean;
}

const MachineTypeListEntry = z.object({
  name: z.string().min(1),
  family: z.string().min(1).optional(),
  vcpus: z.number().positive(),
  memoryGiB: z.number().positive(),
  gpus: z.number().int().nonnegative().optional(),
  arch: z.enum(['x86_64', 'arm64']).optional(),
  regions: z.array(z.string().min(1)).optional(),
  sharedCpu: z.boolean().optional(),
});

/** One `compute#machineType` as the Compute Engine API returns it. */
const ApiMachineType = z.object({
  name: z.string().min(1),
  guestCpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  zone: z.string().min(1),
  isSharedCpu: z.boolean().optional(),
  architecture: z.string().optional(),
  accelerators: z.array(z.object({ guestAcceleratorType: z.string(), guestAcceleratorCount: z.number().int().nonnegative() })).optional(),
});
type ApiMachineType = z.infer<typeof ApiMachineType>;

const AggregatedListPage = z.object({
  items: z.record(z.string(), z.object({ machineTypes: z.array(z.unknown()).optional() })),
  nextPageToken: z.string().optional(),
});

/** Machine types whose shared cores bill a fraction of a vCPU (their `guestCpus` overstates what is billed). */
const SHARED_CORE_TYPES = new Set(['e2-micro', 'e2-small', 'e2-medium', 'f1-micro', 'g1-small']);
/** Families built on Arm cores (Tau T2A, Axion C4A). */
const ARM_FAMILIES = new Set(['t2a', 'c4a']);

/** The pricing family of a machine type: its name's prefix (`n2-highmem-4` → `n2`, `n2d-standard-2` → `n2d`). */
export function machineFamilyOf(name: string): string {
  return name.split('-')[0]!.toLowerCase();
}

/** The architecture a family's machines have when the source does not say. */
export function archOfFamily(family: string): string {
  return ARM_FAMILIES.has(family) ? 'arm64' : 'x86_64';
}

export function isSharedCoreType(type: GceMachineType): boolean {
  return type.sharedCpu === true || SHARED_CORE_TYPES.has(type.name);
}

/**
 * Reads machine types from `machineTypes.aggregatedList` (one page or an array of pages), from a flat array of
 * API machine types (gcloud's list), or from a plain list `[{name, family?, vcpus, memoryGiB, gpus?, regions?}]`.
 * A type listed in several zones becomes one entry with the regions of those zones.
 */
export function readGceMachineTypes(input: unknown): GceMachineType[] {
  const elements = asPages(input);
  if (elements.length === 0) throw new InvalidInputError('the machine type list is empty');
  const first = elements[0];
  if (isObject(first) && 'items' in first) {
    const apiTypes = elements.flatMap((page, i) => {
      const where = elements.length > 1 ? `page ${i + 1} of the machine type list` : 'the machine type list';
      const { items } = parseInput(AggregatedListPage, page, where);
      return Object.entries(items).flatMap(([scope, { machineTypes = [] }]) =>
        machineTypes.map((t, j) => parseInput(ApiMachineType, t, `${where}, items["${scope}"].machineTypes[${j}]`)),
      );
    });
    return mergeZones(apiTypes);
  }
  if (isObject(first) && 'guestCpus' in first) {
    return mergeZones(elements.map((t, i) => parseInput(ApiMachineType, t, `the machine type list, entry ${i}`)));
  }
  return elements.map((t, i) => parseInput(MachineTypeListEntry, t, `the machine type list, entry ${i}`));
}

/** Checks a plain machine type list given in code or configuration. */
export function parseGceMachineTypeList(input: unknown): GceMachineType[] {
  return parseInput(z.array(MachineTypeListEntry), input, 'the machine type list');
}

function mergeZones(apiTypes: ApiMachineType[]): GceMachineType[] {
  const byName = new Map<string, { type: GceMachineType; regions: Set<string> }>();
  for (const t of apiTypes) {
    const region = regionOfZone(t.zone);
    const held = byName.get(t.name);
    if (held) {
      held.regions.add(region);
      continue;
    }
    const gpus = (t.accelerators ?? []).reduce((sum, a) => sum + a.guestAcceleratorCount, 0);
    const arch = t.architecture === 'ARM64' ? 'arm64' : t.architecture === 'X86_64' ? 'x86_64' : undefined;
    byName.set(t.name, {
      type: {
        name: t.name,
        vcpus: t.guestCpus,
        // memoryMb is in MiB (8192 for 8 GiB); n1-standard-1's 3840 is 3.75 GiB.
        memoryGiB: t.memoryMb / 1024,
        gpus,
        ...(arch ? { arch } : {}),
        ...(t.isSharedCpu ? { sharedCpu: true } : {}),
      },
      regions: new Set([region]),
    });
  }
  return [...byName.values()].map(({ type, regions }) => ({ ...type, regions: [...regions].sort() }));
}

/** `us-central1-a` (or its URL) → `us-central1`. */
function regionOfZone(zone: string): string {
  const name = zone.split('/').pop()!;
  return name.replace(/-[a-z]$/, '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
