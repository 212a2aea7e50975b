import type { Image } from '../../core/offer.js';
import { ProviderError } from '../driver.js';
import { IMAGE_PATH, type GcpConfig } from './config.js';

/**
 * The image names a `gcp` provider offers, each standing for a Compute Engine image path (a family path such as
 * `projects/debian-cloud/global/images/family/debian-12` boots the family's newest image). A request may also name
 * an image path directly.
 */
export interface GcpImage {
  name: string;
  source: string;
  os: string;
  arch: 'x86_64' | 'arm64';
}

export function imageCatalog(config: GcpConfig): Map<string, GcpImage> {
  const out = new Map<string, GcpImage>();
  for (const [name, entry] of Object.entries(config.images)) {
    const source = typeof entry === 'string' ? entry : entry.source;
    out.set(name, {
      name,
      source,
      os: typeof entry === 'string' ? guessOs(source) : entry.os,
      arch: (typeof entry === 'string' ? undefined : entry.arch) ?? guessArch(source),
    });
  }
  return out;
}

/** The image path to boot from for a request's image name or path. */
export function resolveImage(provider: string, catalog: Map<string, GcpImage>, requested: string): string {
  const known = catalog.get(requested);
  if (known) return known.source;
  if (IMAGE_PATH.test(requested)) return requested;
  throw new ProviderError(
    'Invalid',
    `gcp provider '${provider}': image '${requested}' is not one of its images (${[...catalog.keys()].join(', ') || 'none configured'}) and not an image path: ` +
      "name one of them, give a path such as projects/debian-cloud/global/images/family/debian-12, or add it to the provider's images",
    provider,
    'UnknownImage',
  );
}

export function imagesOf(provider: string, catalog: Map<string, GcpImage>): Image[] {
  return [...catalog.values()].map((i) => ({ provider, name: i.name, os: i.os, arch: i.arch }));
}

function guessArch(source: string): 'x86_64' | 'arm64' {
  return /arm64|aarch64/.test(source) ? 'arm64' : 'x86_64';
}

function guessOs(source: string): string {
  return /windows/.test(source) ? 'windows' : 'linux';
}
