import { InvalidArgumentError, type Command } from 'commander';
import type { MachineInspection, MachineView } from '../../providers/baremetal/machine-view.js';
import type { Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { age } from '../format.js';
import type { CliIo } from '../io.js';
import type { DetailView, TableView } from '../output.js';
import { nonNegativeInteger, positiveInteger, positiveNumber } from '../parsers.js';
import { readTextFile } from '../read-text-file.js';

/** Where the BMC password comes from when no --password-file is given (never from argv, which `ps` shows). */
const PASSWORD_ENV = 'TESSERA_BMC_PASSWORD';

interface EnrollFlags {
  provider: string;
  rack: string;
  cpus: number;
  memory: number;
  disk?: number[];
  nic?: { mac: string; address?: string }[];
  gpus?: number;
  arch?: string;
  bmc: { protocol: 'ipmi' | 'redfish'; endpoint: string };
  systemId?: string;
  caFile?: string;
  username: string;
  passwordFile?: string;
}

export function registerBaremetalCommands(program: Command, io: CliIo): void {
  const baremetal = program.command('baremetal').description('the machines of bare-metal pools: enroll, list, inspect, retire (organisation admins)');

  baremetal
    .command('enroll')
    .description(`enroll a machine; its BMC is asked for its power state first. The password comes from --password-file or $${PASSWORD_ENV}`)
    .argument('<name>', 'machine name: lowercase letters, digits and "-"')
    .requiredOption('--provider <provider>', 'the baremetal provider whose pool it joins')
    .requiredOption('--rack <rack>', 'its rack (a zone of the provider\'s region)')
    .requiredOption('--cpus <n>', 'CPU count', positiveInteger)
    .requiredOption('--memory <GiB>', 'memory in GiB', positiveNumber)
    .option('--disk <GiB>', 'a disk of this size (repeat for each disk)', collect(positiveNumber), [])
    .option('--nic <mac[=address]>', 'a NIC by MAC, with the address it will have (repeat for each NIC)', collect(nic), [])
    .option('--gpus <n>', 'GPU count', nonNegativeInteger)
    .option('--arch <arch>', 'CPU architecture (default x86_64)')
    .requiredOption('--bmc <url>', 'the BMC: ipmi://host[:port] (IPMI over LAN) or https://host[:port] (Redfish)', bmcUrl)
    .option('--system-id <id>', 'Redfish: the system in the BMC\'s Systems collection (default: the only one)')
    .option('--ca-file <pem>', 'Redfish: the BMC\'s certificate, pinned (default: the system\'s CAs)')
    .requiredOption('--username <user>', 'BMC user (an administrator)')
    .option('--password-file <file>', `file holding the BMC password (first line); else $${PASSWORD_ENV}`)
    .action(async (name: string, flags: EnrollFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const password = await bmcPassword(flags.passwordFile, io);
      if (flags.bmc.protocol === 'ipmi' && (flags.systemId || flags.caFile)) {
        throw new UsageError('--system-id and --ca-file are for Redfish BMCs (--bmc https://…); an IPMI BMC takes neither');
      }
      const body = {
        name,
        rack: flags.rack,
        facts: {
          cpus: flags.cpus,
          memoryGiB: flags.memory,
          disks: (flags.disk ?? []).map((sizeGiB) => ({ sizeGiB })),
          nics: flags.nic ?? [],
          ...(flags.gpus !== undefined && { gpus: flags.gpus }),
          ...(flags.arch !== undefined && { arch: flags.arch }),
        },
        bmc: {
          protocol: flags.bmc.protocol,
          endpoint: flags.bmc.endpoint,
          username: flags.username,
          password,
          ...(flags.systemId !== undefined && { systemId: flags.systemId }),
          ...(flags.caFile !== undefined && { caPem: await readTextFile(flags.caFile, 'the BMC certificate') }),
        },
      };
      const enrolled = await ctx.client.post<MachineView>(`/v1/baremetal/${encodeURIComponent(flags.provider)}/machines`, body);
      ctx.printer.result(enrolled, () => machineTable([enrolled]));
    });

  baremetal
    .command('list')
    .description('list the machines of a pool, as last seen (no BMC is asked)')
    .requiredOption('--provider <provider>', 'the baremetal provider')
    .action(async (flags: { provider: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<MachineView>>(`/v1/baremetal/${encodeURIComponent(flags.provider)}/machines`);
      ctx.printer.result(page.items, () => machineTable(page.items));
    });

  baremetal
    .command('inspect')
    .description('one machine in full, with its power state asked of its BMC now')
    .argument('<name>', 'machine name')
    .requiredOption('--provider <provider>', 'the baremetal provider')
    .action(async (name: string, flags: { provider: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const machine = await ctx.client.get<MachineInspection>(`/v1/baremetal/${encodeURIComponent(flags.provider)}/machines/${encodeURIComponent(name)}`);
      ctx.printer.result(machine, () => machineDetail(machine));
    });

  baremetal
    .command('retire')
    .description('take a machine out of the pool for good (refused while it is allocated)')
    .argument('<name>', 'machine name')
    .requiredOption('--provider <provider>', 'the baremetal provider')
    .action(async (name: string, flags: { provider: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const retired = await ctx.client.delete<MachineView>(`/v1/baremetal/${encodeURIComponent(flags.provider)}/machines/${encodeURIComponent(name)}`);
      ctx.printer.result(retired, () => `machine ${retired.name} retired from ${retired.provider}`);
    });
}

function collect<T>(parse: (value: string) => T): (value: string, previous: T[]) => T[] {
  return (value, previous) => [...previous, parse(value)];
}

function nic(value: string): { mac: string; address?: string } {
  const [mac, address] = value.split('=', 2) as [string, string | undefined];
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new InvalidArgumentError('expected a MAC address, optionally =address: 52:54:00:12:34:56=10.0.0.7');
  return address ? { mac, address } : { mac };
}

/** `ipmi://host[:port]` → IPMI at host:port; `https://host[:port]` → Redfish at that base URL. */
function bmcUrl(value: string): { protocol: 'ipmi' | 'redfish'; endpoint: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected ipmi://host[:port] or https://host[:port]');
  }
  if (url.pathname !== '/' && url.pathname !== '') throw new InvalidArgumentError('the BMC URL takes no path: the Redfish service root is found at /redfish/v1');
  if (url.protocol === 'ipmi:') return { protocol: 'ipmi', endpoint: url.host };
  if (url.protocol === 'https:') return { protocol: 'redfish', endpoint: url.origin };
  throw new InvalidArgumentError('expected ipmi://host[:port] (IPMI) or https://host[:port] (Redfish; plain http is not accepted)');
}

async function bmcPassword(file: string | undefined, io: CliIo): Promise<string> {
  if (file !== undefined) {
    const password = (await readTextFile(file, 'the BMC password file')).split(/\r?\n/)[0] ?? '';
    if (password === '') throw new UsageError(`${file} is empty: put the BMC password on its first line`);
    return password;
  }
  const fromEnv = io.env[PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  throw new UsageError(`give the BMC password with --password-file FILE or $${PASSWORD_ENV} (not on the command line, where ps would show it)`);
}


function machineTable(machines: MachineView[]): TableView {
  return {
    head: ['NAME', 'RACK', 'STATE', 'CPUS', 'MEMORY', 'DISK', 'FLAVORS', 'BMC', 'POWER', 'INSTANCE'],
    rows: machines.map((m) => [
      m.name,
      m.rack,
      m.state,
      m.facts.cpus,
      `${m.facts.memoryGiB} GiB`,
      diskText(m),
      m.flavors.join(', '),
      bmcText(m),
      m.lastPower ? `${m.lastPower.state} (${age(m.lastPower.at)} ago)` : null,
      m.allocation ? `${m.allocation.instanceName} (${m.allocation.tesseraId})` : null,
    ]),
  };
}

function machineDetail(m: MachineInspection): DetailView {
  return {
    fields: [
      ['NAME', m.name],
      ['PROVIDER', m.provider],
      ['RACK', m.rack],
      ['STATE', m.state],
      ['POWER NOW', m.live.powerState ?? `unknown: ${m.live.error ?? 'not asked'}`],
      ['FACTS', `${m.facts.cpus} CPUs, ${m.facts.memoryGiB} GiB, disks ${diskText(m) ?? 'none'}, ${m.facts.gpus} GPUs, ${m.facts.arch}`],
      ['NICS', m.facts.nics.map((n) => (n.address ? `${n.mac} (${n.address})` : n.mac)).join(', ')],
      ['FLAVORS', m.flavors.join(', ')],
      ['BMC', bmcText(m)],
      ['CERTIFICATE', m.bmc.certificateFingerprint],
      ['INSTANCE', m.allocation ? `${m.allocation.instanceName} (${m.allocation.tesseraId}), ${m.allocation.flavor}, ${m.allocation.image}, since ${m.allocation.allocatedAt}` : null],
      ['UNREACHABLE', m.unreachable ? `since ${m.unreachable.since}: ${m.unreachable.lastError}` : null],
      ['LAST FAILURE', m.lastFailure ? `${m.lastFailure.at} ${m.lastFailure.step}: ${m.lastFailure.message}` : null],
      ['ENROLLED', m.enrolledAt],
    ],
  };
}

function diskText(m: MachineView): string | null {
  return m.facts.disks.length > 0 ? m.facts.disks.map((d) => `${d.sizeGiB} GiB`).join(' + ') : null;
}

function bmcText(m: MachineView): string {
  if (m.bmc.protocol === 'ipmi') return `ipmi://${m.bmc.endpoint}`;
  return `${m.bmc.endpoint}${m.bmc.systemId ? ` (system ${m.bmc.systemId})` : ''}`;
}
