import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type ObservedInstance } from '../driver.js';
import type { ContainerFacts } from './container-facts.js';
import { flavorOfLimits, type DockerFlavor } from './flavors.js';
import { FLAVOR_LABEL, IMAGE_LABEL, reportedLabels } from './labels.js';
import { observedState } from './state.js';

/** Where a container was seen: the provider, its one region, the host (zone) and the flavors it sells. */
export interface ObservationScope {
  provider: string;
  region: string;
  zone: string;
  flavors: Map<string, DockerFlavor>;
}

/**
 * How a container looks to Tessera. A Tessera container reports the flavor and image its labels recorded; one
 * made by someone else reports what its limits and image say (its facts must then carry limits).
 */
export function toObserved(facts: ContainerFacts, scope: ObservationScope): ObservedInstance {
  const labels = facts.labels;
  const flavor = labels[FLAVOR_LABEL] ?? (facts.limits ? flavorOfLimits(facts.limits, scope.flavors) : 'unknown');
  return {
    externalId: facts.id,
    token: labels[TESSERA_TOKEN_LABEL] ?? null,
    tesseraId: labels[TESSERA_ID_LABEL] ?? null,
    name: facts.name,
    region: scope.region,
    zone: scope.zone,
    flavor,
    image: labels[IMAGE_LABEL] ?? facts.image,
    market: 'on-demand',
    kind: 'container',
    state: observedState(facts.state),
    addresses: facts.networks.flatMap((n) => [n.ipv4, n.ipv6].filter((a) => a !== '').map((address) => ({ type: 'private' as const, address }))),
    labels: reportedLabels(labels),
    createdAt: facts.createdAt,
  };
}

/** True when the facts must be completed by an inspect before `toObserved` can name the flavor. */
export function needsLimits(facts: ContainerFacts): boolean {
  return facts.limits === null && facts.labels[FLAVOR_LABEL] === undefined;
}
