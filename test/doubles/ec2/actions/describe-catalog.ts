import type { InstanceTypeConfig } from '../catalog.js';
import { clientError, invalidParameterValue } from '../ec2-error.js';
import { globMatches } from '../filters.js';
import { pageOf } from '../paging.js';
import type { Filter } from '../query-params.js';
import { el, set, type XmlContent } from '../xml.js';
import type { ActionContext } from './context.js';

/** DescribeInstanceTypes: the types offered in the request's region, by `InstanceType.N` and filters, paged (MaxResults 5–100). */
export function describeInstanceTypes(ctx: ActionContext): XmlContent[] {
  const { params, region, account } = ctx;
  const asked = params.list('InstanceType');
  const unknown = asked.filter((t) => !region.instanceTypes.has(t) || !account.instanceTypes.has(t));
  if (unknown.length > 0) throw clientError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
  let types = [...account.instanceTypes.values()].filter((t) => region.instanceTypes.has(t.name));
  if (asked.length > 0) types = types.filter((t) => asked.includes(t.name));
  const filters = params.filters();
  types = types.filter((t) => filters.every((f) => typeMatches(t, f)));
  // EC2 pages instance types at 100 when MaxResults is not given.
  const page = pageOf(types, params, { min: 5, max: 100, defaultSize: 100, cap: account.options.maxPageSize });
  return [set('instanceTypeSet', page.items.map(instanceTypeXml)), el('nextToken', page.nextToken)];
}

const TYPE_FILTERS: Record<string, (t: InstanceTypeConfig) => string> = {
  'instance-type': (t) => t.name,
  'processor-info.supported-architecture': (t) => t.arch,
  'bare-metal': (t) => String(t.bareMetal ?? false),
  'current-generation': () => 'true',
};

function typeMatches(t: InstanceTypeConfig, f: Filter): boolean {
  const read = TYPE_FILTERS[f.name];
  if (!read) throw invalidParameterValue(`The filter '${f.name}' is invalid`);
  return f.values.some((v) => globMatches(v, read(t)));
}

function instanceTypeXml(t: InstanceTypeConfig): XmlContent {
  const gpus = t.gpus ?? 0;
  return [
    el('instanceType', t.name),
    el('currentGeneration', true),
    el('freeTierEligible', t.name === 't3.micro'),
    set('supportedUsageClasses', ['on-demand', 'spot']),
    set('supportedRootDeviceTypes', ['ebs']),
    set('supportedVirtualizationTypes', ['hvm']),
    el('bareMetal', t.bareMetal ?? false),
    t.bareMetal ? null : el('hypervisor', 'nitro'),
    el('processorInfo', [set('supportedArchitectures', [t.arch]), el('sustainedClockSpeedInGhz', t.arch === 'arm64' ? 2.6 : 3.5)]),
    el('vCpuInfo', [el('defaultVCpus', t.vcpus), el('defaultCores', Math.max(1, t.vcpus / 2)), el('defaultThreadsPerCore', t.vcpus > 1 ? 2 : 1)]),
    el('memoryInfo', el('sizeInMiB', t.memoryMiB)),
    el('instanceStorageSupported', false),
    gpus > 0
      ? el('gpuInfo', [
          set('gpus', [[el('name', 'A10G'), el('manufacturer', 'NVIDIA'), el('count', gpus), el('memoryInfo', el('sizeInMiB', 24576))]]),
          el('totalGpuMemoryInMiB', 24576 * gpus),
        ])
      : null,
    el('burstablePerformanceSupported', t.name.startsWith('t')),
    el('dedicatedHostsSupported', true),
    el('autoRecoverySupported', !t.bareMetal),
  ];
}

/** DescribeRegions: the regions enabled for the account (all of them with AllRegions=true), optionally by `RegionName.N`. */
export function describeRegions(ctx: ActionContext): XmlContent[] {
  const { params, account } = ctx;
  const all = params.bool('AllRegions') ?? false;
  const names = params.list('RegionName');
  const unknown = names.filter((n) => !account.regions.has(n));
  if (unknown.length > 0) throw clientError('InvalidParameterValue', `Invalid region: ${unknown.join(', ')}`);
  const regions = [...account.regions.values()].filter((r) => (all || !r.notOptedIn) && (names.length === 0 || names.includes(r.name)));
  return [
    set(
      'regionInfo',
      regions.map((r) => [el('regionName', r.name), el('regionEndpoint', `ec2.${r.name}.amazonaws.com`), el('optInStatus', r.notOptedIn ? 'not-opted-in' : 'opt-in-not-required')]),
    ),
  ];
}

/** DescribeAvailabilityZones: the zones of the request's region, optionally by `ZoneName.N` / `ZoneId.N`. */
export function describeAvailabilityZones(ctx: ActionContext): XmlContent[] {
  const { params, region } = ctx;
  const names = params.list('ZoneName');
  const ids = params.list('ZoneId');
  for (const n of names) if (!region.zone(n)) throw invalidParameterValue(`The zone '${n}' does not exist.`);
  const zones = region.zones.filter((z) => (names.length === 0 || names.includes(z.name)) && (ids.length === 0 || ids.includes(z.id)));
  return [
    set(
      'availabilityZoneInfo',
      zones.map((z) => [
        el('optInStatus', 'opt-in-not-required'),
        set('messageSet', []),
        el('regionName', region.name),
        el('zoneName', z.name),
        el('zoneId', z.id),
        el('groupName', region.name),
        el('networkBorderGroup', region.name),
        el('zoneType', 'availability-zone'),
        el('zoneState', 'available'),
      ]),
    ),
  ];
}
