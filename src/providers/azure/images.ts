import type { ImageReference } from '@azure/arm-compute';
import type { Image } from '../../core/offer.js';
import type { AzureConfig, AzureImageConfig } from './config.js';

/**
 * The image names a provider offers, each bound to an ARM image reference (marketplace publisher/offer/sku/version,
 * or a custom or gallery image id), and the way back from a VM's reference to a name.
 */

export function imageReferenceOf(image: AzureImageConfig): ImageReference {
  return 'id' in image ? { id: image.id } : { publisher: image.publisher, offer: image.offer, sku: image.sku, version: image.version };
}

export function listImages(providerName: string, config: AzureConfig): Image[] {
  return Object.entries(config.images)
    .map(([name, image]) => ({ provider: providerName, name, os: 'linux', arch: image.arch }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The configured name of a VM's image reference, else the reference itself (`publisher:offer:sku:version`, the
 * URN `az vm create --image` takes, or the image id) — a VM made outside Tessera still reports what it runs.
 */
export function imageNameOf(config: AzureConfig, ref: ImageReference | undefined): string {
  if (!ref) return 'unknown';
  const same = (a: string | undefined, b: string | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  for (const [name, image] of Object.entries(config.images)) {
    if ('id' in image ? same(image.id, ref.id) : same(image.publisher, ref.publisher) && same(image.offer, ref.offer) && same(image.sku, ref.sku)) return name;
  }
  if (ref.id) return ref.id;
  return [ref.publisher, ref.offer, ref.sku, ref.version ?? 'latest'].join(':');
}
