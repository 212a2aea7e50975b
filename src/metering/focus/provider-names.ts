/**
 * FOCUS names by whose prices a line was billed (its price key): a public cloud's list prices → that cloud's own
 * provider and service names, so a Tessera export lines up with the cloud's own FOCUS export; anything else is
 * Tessera's private cloud, priced by its cost model or configured prices.
 */
interface CloudNames {
  provider: string;
  service: string;
}

const PUBLIC: Record<string, CloudNames> = {
  aws: { provider: 'Amazon Web Services', service: 'Amazon Elastic Compute Cloud' },
  azure: { provider: 'Microsoft Azure', service: 'Virtual Machines' },
  gcp: { provider: 'Google Cloud', service: 'Compute Engine' },
};

const PRIVATE: CloudNames = { provider: 'Tessera', service: 'Tessera Compute' };

export function cloudNamesOf(priceKey: string): CloudNames {
  return PUBLIC[priceKey] ?? PRIVATE;
}

/** FOCUS ResourceType for Tessera's instance kinds. */
export function resourceTypeOf(kind: string): string {
  return kind === 'container' ? 'Container' : kind === 'baremetal' ? 'Bare Metal Server' : 'Virtual Machine';
}
