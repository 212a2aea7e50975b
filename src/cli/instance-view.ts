/** How instances look in tables: a row per instance for lists, every field for `instance get`. */
import type { Instance } from './api-types.js';
import { age, labelsText, providerLabel, usd, usdPerHour } from './format.js';
import type { DetailView, TableView } from './output.js';

/** Phase, marked when Tessera only observes the machine (discovered, not adopted) and will not act on it. */
function phaseText(instance: Instance): string {
  return instance.spec.managed ? instance.status.phase : `${instance.status.phase} (unmanaged)`;
}

function firstAddress(instance: Instance): string | undefined {
  const { addresses } = instance.status;
  return (addresses.find((a) => a.type === 'public') ?? addresses[0])?.address;
}

export function instanceTable(instances: Instance[], simulated: Set<string>, now = new Date()): TableView {
  return {
    head: ['ID', 'NAME', 'PROJECT', 'PROVIDER', 'REGION', 'FLAVOR', 'PHASE', 'ADDRESS', 'PRICE', 'AGE'],
    rows: instances.map((i) => [
      i.id,
      i.name,
      i.project,
      providerLabel(i.spec.provider, simulated.has(i.spec.provider)),
      i.spec.zone ?? i.spec.region,
      i.spec.flavor,
      phaseText(i),
      firstAddress(i),
      usdPerHour(i.status.scheduling?.priceMicrosPerHour),
      age(i.createdAt, now),
    ]),
  };
}

export function instanceDetail(i: Instance, simulated: Set<string>): DetailView {
  const { spec, status } = i;
  const requirements = spec.requirements
    ? `${spec.requirements.vcpus} vCPU, ${spec.requirements.memoryGiB} GiB, ${spec.requirements.gpus} GPU` +
      (spec.requirements.arch ? `, ${spec.requirements.arch}` : '')
    : undefined;
  const scheduling = status.scheduling;
  return {
    fields: [
      ['ID', i.id],
      ['Name', i.name],
      ['Project', i.project],
      ['Labels', labelsText(i.labels)],
      ['Provider', providerLabel(spec.provider, simulated.has(spec.provider))],
      ['Region', spec.region],
      ['Zone', spec.zone],
      ['Flavor', spec.flavor],
      ['Requirements', requirements],
      ['Image', spec.image],
      ['Market', spec.market],
      ['Power', spec.powerState],
      ['Drift policy', spec.driftPolicy],
      ['Managed', spec.managed ? 'yes' : 'no (discovered; "tessera instance adopt" to manage it)'],
      ['Phase', status.phase],
      ['Reason', [status.reason, status.message].filter(Boolean).join(': ')],
      ['Kind', status.kind],
      ['External id', status.externalId],
      ['Addresses', status.addresses.map((a) => `${a.address} (${a.type})`).join(', ')],
      ['Price', usdPerHour(scheduling?.priceMicrosPerHour)],
      ['Placement', scheduling?.reason],
      [
        'Alternatives',
        scheduling?.alternatives
          .map((a) => `${a.provider}/${a.region}/${a.flavor} ${usd(a.priceMicrosPerHour)}/h`)
          .join('\n'),
      ],
      [
        'Conditions',
        status.conditions
          .map((c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`)
          .join('\n'),
      ],
      ['Generation', `${i.generation} (observed ${status.observedGeneration})`],
      ['Created', i.createdAt],
      ['Updated', i.updatedAt],
      ['Deleted', i.deletedAt],
    ],
  };
}
