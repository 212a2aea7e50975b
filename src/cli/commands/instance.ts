import { Option, type Command } from 'commander';
import { DriftPolicy, Phase } from '../../core/instance.js';
import type { Instance, Page } from '../api-types.js';
import { commandContext, type CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { instancePath, resolveInstanceId } from '../instance-api.js';
import { instanceDetail, instanceTable } from '../instance-view.js';
import type { CliIo } from '../io.js';
import {
  collectLabel,
  labelSelector,
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
  resourceName,
} from '../parsers.js';
import { simulatedProvidersToLabel } from '../simulated-providers.js';
import { waitForInstance, type InstanceGoal } from '../wait.js';
import { readTextFile } from '../read-text-file.js';

/** Long enough for a cloud VM to boot; a bare-metal install may need a larger `--timeout`. */
const DEFAULT_WAIT_SECONDS = 600;

interface WaitFlags {
  wait?: boolean;
  timeout: number;
}

interface CreateFlags extends WaitFlags {
  provider?: string;
  region?: string;
  zone?: string;
  flavor?: string;
  vcpus?: number;
  memory?: number;
  gpus?: number;
  image?: string;
  spot?: boolean;
  label?: Record<string, string>;
  project?: string;
  userDataFile?: string;
  driftPolicy?: DriftPolicy;
  stopped?: boolean;
}

interface ListFlags {
  provider?: string;
  region?: string;
  phase?: string;
  project?: string;
  selector?: string;
  all?: boolean;
  limit?: number;
}

/** Power actions: the API verb, and the phase `--wait` waits for. */
const POWER_ACTIONS: { action: 'start' | 'stop' | 'reboot'; goal: InstanceGoal; description: string }[] = [
  { action: 'start', goal: 'Running', description: 'power an instance on' },
  { action: 'stop', goal: 'Stopped', description: 'power an instance off (it keeps its disks and addresses)' },
  { action: 'reboot', goal: 'Running', description: 'restart an instance' },
];

const INSTANCE_ARG = ['<instance>', 'instance id (i-…), or its name when only one instance has it'] as const;

export function registerInstanceCommands(program: Command, io: CliIo): void {
  const instance = program.command('instance').description('create, inspect and operate instances on any provider');

  withWaitOptions(
    instance
      .command('create')
      .description('ask for an instance; the API places it and a controller makes it real')
      .argument('<name>', 'instance name: lowercase letters, digits and "-"', resourceName)
      .option('--provider <provider>', 'provider to use (default: the cheapest that fits)')
      .option('--region <region>', 'region to use')
      .option('--zone <zone>', 'zone within the region')
      .option('--flavor <flavor>', "the provider's flavor, e.g. m6i.large (or give --vcpus and --memory)")
      .option('--vcpus <n>', 'virtual CPUs wanted', positiveNumber)
      .option('--memory <GiB>', 'memory wanted, in GiB', positiveNumber)
      .option('--gpus <n>', 'GPUs wanted', nonNegativeInteger)
      .option('--image <image>', 'image to boot, e.g. ubuntu-24.04')
      .option('--spot', 'use the spot market (cheaper, may be reclaimed)')
      .option('--label <key=value>', 'a label; repeat for more', collectLabel)
      .option('--project <project>', 'project that owns the instance')
      .option('--user-data-file <file>', 'cloud-init user data to pass to the instance')
      .addOption(new Option('--drift-policy <policy>', 'what to do when the machine drifts from its spec').choices(DriftPolicy.options))
      .option('--stopped', 'create it powered off'),
  ).action(async (name: string, flags: CreateFlags, command: Command) => {
    const ctx = commandContext(command, io);
    const created = await ctx.client.post<Instance>('/v1/instances', await createRequest(name, flags));
    await showOutcome(ctx, created, waitRequest(flags, flags.stopped ? 'Stopped' : 'Running'));
  });

  instance
    .command('list')
    .description('list instances')
    .option('--provider <provider>', 'only this provider')
    .option('--region <region>', 'only this region')
    .addOption(new Option('--phase <phase>', 'only instances in this phase').choices(Phase.options))
    .option('--project <project>', 'only this project')
    .option('-l, --selector <selector>', 'label selector, e.g. "app=web,tier!=db"', labelSelector)
    .option('--all', 'fetch every page, not just the first')
    .option('--limit <n>', 'instances per page', positiveInteger)
    .action(async (flags: ListFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const query = {
        provider: flags.provider,
        region: flags.region,
        phase: flags.phase,
        project: flags.project,
        selector: flags.selector,
        limit: flags.limit,
      };
      const [instances, simulated] = await Promise.all([
        listInstances(ctx, query, flags.all === true),
        simulatedProvidersToLabel(ctx),
      ]);
      ctx.printer.result(instances, () => instanceTable(instances, simulated));
    });

  instance
    .command('get')
    .description('show one instance in full')
    .argument(...INSTANCE_ARG)
    .action(async (ref: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const id = await resolveInstanceId(ctx.client, ref);
      const [found, simulated] = await Promise.all([ctx.client.get<Instance>(instancePath(id)), simulatedProvidersToLabel(ctx)]);
      ctx.printer.result(found, () => instanceDetail(found, simulated));
    });

  withWaitOptions(
    instance.command('delete').description('delete an instance (and the machine behind it)').argument(...INSTANCE_ARG),
  ).action(async (ref: string, flags: WaitFlags, command: Command) => {
    const ctx = commandContext(command, io);
    const id = await resolveInstanceId(ctx.client, ref);
    const deleting = await ctx.client.delete<Instance>(instancePath(id));
    await showOutcome(ctx, deleting, waitRequest(flags, 'Deleted'));
  });

  for (const { action, goal, description } of POWER_ACTIONS) {
    withWaitOptions(instance.command(action).description(description).argument(...INSTANCE_ARG)).action(
      async (ref: string, flags: WaitFlags, command: Command) => {
        const ctx = commandContext(command, io);
        const id = await resolveInstanceId(ctx.client, ref);
        const changed = await ctx.client.post<Instance>(instancePath(id, action));
        await showOutcome(ctx, changed, waitRequest(flags, goal));
      },
    );
  }

  instance
    .command('adopt')
    .description('take over management of a discovered instance')
    .argument(...INSTANCE_ARG)
    .action(async (ref: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const id = await resolveInstanceId(ctx.client, ref);
      const adopted = await ctx.client.post<Instance>(instancePath(id, 'adopt'));
      await showOutcome(ctx, adopted, undefined);
    });
}

function withWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'wait until the change is done, showing progress')
    .option('--timeout <seconds>', 'give up waiting after this long', positiveNumber, DEFAULT_WAIT_SECONDS);
}

/** Builds the POST /v1/instances body; the server applies its defaults to whatever is left out. */
async function createRequest(name: string, flags: CreateFlags): Promise<Record<string, unknown>> {
  const wantsRequirements = flags.vcpus !== undefined || flags.memory !== undefined || flags.gpus !== undefined;
  if (wantsRequirements && (flags.vcpus === undefined || flags.memory === undefined)) {
    throw new UsageError('--vcpus and --memory go together (e.g. --vcpus 2 --memory 8); --gpus needs both');
  }
  if (!wantsRequirements && flags.flavor === undefined) {
    throw new UsageError('say what size: --flavor (e.g. --provider aws --flavor m6i.large) or --vcpus and --memory');
  }
  return {
    name,
    project: flags.project,
    labels: flags.label,
    provider: flags.provider,
    region: flags.region,
    zone: flags.zone,
    flavor: flags.flavor,
    requirements: wantsRequirements ? { vcpus: flags.vcpus, memoryGiB: flags.memory, gpus: flags.gpus } : undefined,
    image: flags.image,
    market: flags.spot ? 'spot' : undefined,
    userData: flags.userDataFile === undefined ? undefined : await readTextFile(flags.userDataFile, '--user-data-file'),
    powerState: flags.stopped ? 'off' : undefined,
    driftPolicy: flags.driftPolicy,
  };
}


async function listInstances(ctx: CommandContext, query: Record<string, string | number | undefined>, all: boolean) {
  const instances: Instance[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await ctx.client.get<Page<Instance>>('/v1/instances', { ...query, cursor });
    instances.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    if (!cursor) break;
    if (!all) {
      ctx.io.stderr.write('more instances than shown: add --all to list every page\n');
      break;
    }
  }
  return instances;
}

interface WaitRequest {
  goal: InstanceGoal;
  timeoutSeconds: number;
}

function waitRequest(flags: WaitFlags, goal: InstanceGoal): WaitRequest | undefined {
  return flags.wait ? { goal, timeoutSeconds: flags.timeout } : undefined;
}

/** Prints what a change led to: the instance at once, or, with --wait, as it is once the change is done. */
async function showOutcome(ctx: CommandContext, instance: Instance, wait: WaitRequest | undefined): Promise<void> {
  const final = wait
    ? await waitForInstance(ctx.client, instance, wait.goal, { timeoutSeconds: wait.timeoutSeconds, progressStream: ctx.io.stderr })
    : instance;
  if (final === null) {
    const gone = { id: instance.id, name: instance.name, deleted: true };
    ctx.printer.result(gone, () => `instance ${instance.name} (${instance.id}) deleted`);
    return;
  }
  const simulated = await simulatedProvidersToLabel(ctx);
  ctx.printer.result(final, () => instanceTable([final], simulated));
}
