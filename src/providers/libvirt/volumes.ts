import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom';
import { ProviderError } from '../driver.js';
import type { LibvirtImageConfig } from './config.js';
import type { Virsh } from './virsh.js';

/**
 * The two volumes of a Tessera domain, made through libvirt's storage API rather than by writing files, so the
 * same calls work on a remote host: the disk (a qcow2 overlay whose backing file is the base image, so a new
 * domain costs a few hundred KiB, not a copy) and the NoCloud seed ISO (uploaded with `vol-upload`).
 */

/** Where the base image of `image` is on the host: its path, or the path of its volume in the pool. */
export async function baseImagePath(virsh: Virsh, pool: string, image: LibvirtImageConfig): Promise<string> {
  if (image.path !== undefined) return image.path;
  const volume = image.volume!;
  let path = await virsh.runOrNull(['vol-path', '--pool', pool, volume]);
  if (path === null) {
    // Copied into the pool directory behind libvirt's back: a refresh makes it a volume.
    await virsh.run(['pool-refresh', pool]);
    path = await virsh.runOrNull(['vol-path', '--pool', pool, volume]);
  }
  if (path === null) {
    throw new ProviderError(
      'Invalid',
      `image '${image.name}' is volume '${volume}', which pool '${pool}' on libvirt host '${virsh.host.name}' does not hold: ` +
        'copy the qcow2 into the pool directory, or fix images[].volume in the provider config',
      virsh.provider,
      'ImageMissing',
    );
  }
  return path.trim();
}

/** Volume XML for a qcow2 overlay: capacity 0 makes libvirt take the base image's virtual size. */
export function overlayVolumeXml(name: string, backingPath: string): string {
  const doc = new DOMImplementation().createDocument(null, 'volume', null);
  const volume = doc.documentElement!;
  const add = (parent: typeof volume, tag: string, attributes: Record<string, string> = {}, text?: string) => {
    const e = doc.createElement(tag);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
    if (text !== undefined) e.appendChild(doc.createTextNode(text));
    parent.appendChild(e);
    return e;
  };
  add(volume, 'name', {}, name);
  add(volume, 'capacity', { unit: 'bytes' }, '0');
  const target = add(volume, 'target');
  add(target, 'format', { type: 'qcow2' });
  add(target, 'compat', {}, '1.1');
  const backing = add(volume, 'backingStore');
  add(backing, 'path', {}, backingPath);
  add(backing, 'format', { type: 'qcow2' });
  return new XMLSerializer().serializeToString(doc);
}

export async function createOverlay(virsh: Virsh, pool: string, name: string, backingPath: string): Promise<void> {
  await virsh.runWithFile(overlayVolumeXml(name, backingPath), (file) => ['vol-create', pool, file]);
}

/** Makes a raw volume of the ISO's size and streams the local file into it. */
export async function uploadSeed(virsh: Virsh, pool: string, name: string, localPath: string, bytes: number): Promise<void> {
  await virsh.run(['vol-create-as', pool, name, String(bytes), '--format', 'raw']);
  await virsh.run(['vol-upload', '--pool', pool, name, localPath]);
}

/** Deletes volumes by name; one that is not there is already what was wanted. */
export async function deleteVolumes(virsh: Virsh, pool: string, names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await virsh.run(['vol-delete', '--pool', pool, name]);
    } catch (e) {
      if (e instanceof ProviderError && (e.errorClass === 'NotFound' || e.providerCode === 'PoolNotFound')) continue;
      throw e;
    }
  }
}
