import type { CreateRequest } from '../../src/providers/driver.js';
import type { LibvirtConfigInput } from '../../src/providers/libvirt/config.js';
import { openLibvirtDriver } from '../../src/providers/libvirt/driver.js';
import { createLibvirtTestHost, type LibvirtTestHost } from '../support/libvirtd.js';
import { conformanceRequest, driverConformance } from './conformance.js';

/**
 * The driver conformance suite against the real system libvirtd (`qemu:///system`), with TCG domains on an empty
 * 64 MiB disk: "running" is the bar, not a booted OS.
 */

let host: LibvirtTestHost;

function config(overrides: Partial<LibvirtConfigInput> = {}): LibvirtConfigInput {
  return {
    hosts: [{ name: 'kvm-a', uri: host.uri }],
    pool: host.pool,
    images: [{ name: 'base', path: host.baseImage }],
    flavors: [
      { name: 'tiny', vcpus: 1, memoryGiB: 0.25 },
      // More vCPUs and memory than this host has, whatever the overcommit below.
      { name: 'huge', vcpus: 4096, memoryGiB: 65536 },
    ],
    domainType: 'qemu',
    // Other test files run domains on the same host at the same time: room for all of them.
    overcommit: { cpu: 64 },
    // No guest OS answers ACPI, so every power-off ends in the destroy fallback: keep the wait short.
    shutdownGraceSeconds: 1,
    ...overrides,
  };
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return conformanceRequest(name, { region: 'local', flavor: 'tiny', image: 'base' }, overrides);
}

driverConformance({
  label: 'libvirt (qemu:///system, TCG)',
  kind: 'vm',
  open: async () => {
    host = await createLibvirtTestHost();
    return openLibvirtDriver('conformance-libvirt', config());
  },
  close: async () => host?.cleanup(),
  request: (name) => request(name),
  provoke: {
    invalid: (name) => request(name, { image: 'no-such-image' }),
    capacity: (name) => request(name, { flavor: 'huge' }),
    quota: (name) => ({
      driver: () => openLibvirtDriver('conformance-libvirt-quota', config({ maxDomains: 0 })),
      request: request(name),
    }),
    // A daemon that is not there: its socket does not exist.
    retryable: () => openLibvirtDriver('conformance-libvirt-down', config({ hosts: [{ name: 'kvm-down', uri: 'qemu:///system?socket=/nonexistent/libvirt-sock' }] })),
  },
  settleMs: 60_000,
});
