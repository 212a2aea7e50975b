import { DOMParser } from '@xmldom/xmldom';
import { ProviderError } from '../driver.js';
import type { Virsh } from './virsh.js';

/**
 * The directory pool that holds Tessera's overlays and seeds on a host: defined, built (its directory made,
 * mode 0711 so QEMU's own user can reach the files inside) and started when missing, and autostarted so it
 * survives a host reboot. An existing pool of that name is used as it is, if it points where the config says.
 */
export async function ensurePool(virsh: Virsh, pool: { name: string; path: string }): Promise<void> {
  let xml = await virsh.runOrNull(['pool-dumpxml', pool.name]);
  if (xml === null) {
    try {
      await virsh.run(['pool-define-as', pool.name, 'dir', '--target', pool.path]);
    } catch (e) {
      // Another create on this host defined it a moment ago: use theirs.
      if (!(e instanceof ProviderError && e.providerCode === 'AlreadyExists')) throw e;
    }
    await virsh.run(['pool-autostart', pool.name]);
    xml = await virsh.run(['pool-dumpxml', pool.name]);
  }
  const target = new DOMParser().parseFromString(xml, 'text/xml').getElementsByTagName('path')[0]?.textContent?.trim();
  if (target !== undefined && target !== pool.path.replace(/\/+$/, '')) {
    throw new ProviderError(
      'Invalid',
      `storage pool '${pool.name}' on libvirt host '${virsh.host.name}' is at ${target}, but the provider config says ${pool.path}: ` +
        'set pool.path to match, or name another pool',
      virsh.provider,
      'PoolPathMismatch',
    );
  }
  const info = await virsh.run(['pool-info', pool.name]);
  if (/^State:\s+running/m.test(info)) return;
  // Building an existing directory pool is harmless; it makes a missing directory again.
  await virsh.run(['pool-build', pool.name]).catch(() => undefined);
  try {
    await virsh.run(['pool-start', pool.name]);
  } catch (e) {
    const raced = e instanceof ProviderError && /already active/.test(e.message);
    if (!raced) throw e;
  }
}
