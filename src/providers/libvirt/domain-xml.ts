import { DOMImplementation, XMLSerializer, type Element } from '@xmldom/xmldom';
import { TESSERA_LIBVIRT_NS, TESSERA_METADATA_ELEMENT, writeMetadata, type TesseraDomainMetadata } from './tessera-metadata.js';

/**
 * The domain definition Tessera hands to `virsh define`. Built as a DOM and serialised, so no request string
 * (a name, a label, an image name) is ever spliced into markup.
 */
export interface DomainSpec {
  /** `kvm` on hosts with /dev/kvm; `qemu` is TCG (emulation). */
  type: 'kvm' | 'qemu';
  name: string;
  uuid: string;
  /** Shown by `virsh list --title`. */
  title: string;
  vcpus: number;
  memoryMiB: number;
  /** The qcow2 overlay, as a volume of a pool (so the same XML works on a remote host). */
  disk: { pool: string; volume: string };
  /** The NoCloud seed ISO, attached as a read-only CD-ROM. */
  seed: { pool: string; volume: string };
  /** `user` (QEMU user-mode networking) or the name of a libvirt network. */
  network: string;
  metadata: TesseraDomainMetadata;
}

export function buildDomainXml(spec: DomainSpec): string {
  const doc = new DOMImplementation().createDocument(null, 'domain', null);
  const domain = doc.documentElement!;
  domain.setAttribute('type', spec.type);
  const add = (parent: Element, name: string, attributes: Record<string, string> = {}, text?: string): Element => {
    const e = doc.createElement(name);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
    if (text !== undefined) e.appendChild(doc.createTextNode(text));
    parent.appendChild(e);
    return e;
  };

  add(domain, 'name', {}, spec.name);
  add(domain, 'uuid', {}, spec.uuid);
  add(domain, 'title', {}, spec.title);
  add(domain, 'description', {}, `Made by Tessera: instance ${spec.metadata.id} (provider ${spec.metadata.provider}).`);
  const metadata = add(domain, 'metadata');
  const instance = doc.createElementNS(TESSERA_LIBVIRT_NS, `tessera:${TESSERA_METADATA_ELEMENT}`);
  // Declared on the element itself: libvirt keeps each namespace's metadata as a standalone fragment.
  instance.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:tessera', TESSERA_LIBVIRT_NS);
  metadata.appendChild(instance);
  writeMetadata(instance, spec.metadata);

  add(domain, 'memory', { unit: 'MiB' }, String(spec.memoryMiB));
  add(domain, 'currentMemory', { unit: 'MiB' }, String(spec.memoryMiB));
  add(domain, 'vcpu', { placement: 'static' }, String(spec.vcpus));
  // x86_64 only for now; the machine type is left to libvirt (the host's default, pc-i440fx or q35).
  const os = add(domain, 'os');
  add(os, 'type', { arch: 'x86_64' }, 'hvm');
  add(os, 'boot', { dev: 'hd' });
  // ACPI is what `virsh shutdown` speaks: without it a real guest never hears a polite power-off.
  const features = add(domain, 'features');
  add(features, 'acpi');
  add(features, 'apic');
  add(domain, 'clock', { offset: 'utc' });
  add(domain, 'on_poweroff', {}, 'destroy');
  add(domain, 'on_reboot', {}, 'restart');
  add(domain, 'on_crash', {}, 'destroy');

  const devices = add(domain, 'devices');
  const disk = add(devices, 'disk', { type: 'volume', device: 'disk' });
  add(disk, 'driver', { name: 'qemu', type: 'qcow2' });
  add(disk, 'source', { pool: spec.disk.pool, volume: spec.disk.volume });
  add(disk, 'target', { dev: 'vda', bus: 'virtio' });
  const seed = add(devices, 'disk', { type: 'volume', device: 'cdrom' });
  add(seed, 'driver', { name: 'qemu', type: 'raw' });
  add(seed, 'source', { pool: spec.seed.pool, volume: spec.seed.volume });
  add(seed, 'target', { dev: 'sda', bus: 'sata' });
  add(seed, 'readonly');

  const nic = spec.network === 'user' ? add(devices, 'interface', { type: 'user' }) : add(devices, 'interface', { type: 'network' });
  if (spec.network !== 'user') add(nic, 'source', { network: spec.network });
  add(nic, 'model', { type: 'virtio' });

  // A serial console (`virsh console`), which cloud images log their boot to.
  const serial = add(devices, 'serial', { type: 'pty' });
  add(serial, 'target', { port: '0' });
  const console = add(devices, 'console', { type: 'pty' });
  add(console, 'target', { type: 'serial', port: '0' });
  // Entropy for first boot (SSH host keys) on guests that would otherwise wait for it.
  const rng = add(devices, 'rng', { model: 'virtio' });
  add(rng, 'backend', { model: 'random' }, '/dev/urandom');

  return new XMLSerializer().serializeToString(doc);
}
