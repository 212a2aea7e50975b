import type { Command } from 'commander';
import type { Deployment } from '../../deploy/deployment.js';
import type { DeploymentPlanView } from '../plan-view.js';
import { renderPlan } from '../plan-view.js';
import { backoffScope } from '../../deploy/deployment-plan.js';
import { ApiError } from '../client.js';
import { commandContext, type CommandContext } from '../context.js';
import { CommandFailedError } from '../errors.js';
import type { CliIo } from '../io.js';
import { manifestPath, readManifest, type ManifestDocument } from '../manifest.js';
import { positiveInteger } from '../parsers.js';
import { PhaseProgress } from '../progress.js';
import { sleep } from '../sleep.js';

/** Long enough for cloud VMs to boot and a rollout to pass through them. */
const DEFAULT_WAIT_SECONDS = 900;
const POLL_MS = 1000;
const FILE_OPTION = ['-f, --filename <file>', 'YAML or JSON file of Deployment and Cluster documents (several separated by ---)'] as const;

interface FileFlags {
  filename: string;
  wait?: boolean;
  timeout: number;
}

/** What `plan` and `apply` print for a Cluster: one plan per node group (its child deployments). */
interface ClusterPlanView {
  project: string;
  name: string;
  exists: boolean;
  deployments: DeploymentPlanView[];
}

interface Applied {
  created: boolean;
}

export function registerDeployCommands(program: Command, io: CliIo): void {
  program
    .command('plan')
    .description('show what applying a file would change (per replica: create, replace, delete; prices and the monthly delta), changing nothing')
    .requiredOption(...FILE_OPTION)
    .action(async (flags: FileFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const docs = await readManifest(flags.filename);
      const plans: (DeploymentPlanView | ClusterPlanView)[] = [];
      for (const d of docs) plans.push(await planOf(ctx, d));
      ctx.printer.result(plans, () => plans.map((p) => render(p)).join('\n\n'));
    });

  withWait(
    program
      .command('apply')
      .description('create or update what a file describes; controllers then make it real')
      .requiredOption(...FILE_OPTION),
  ).action(async (flags: FileFlags, command: Command) => {
    const ctx = commandContext(command, io);
    const docs = await readManifest(flags.filename);
    const results: unknown[] = [];
    for (const d of docs) {
      const applied = await ctx.client.put<Applied & Record<string, unknown>>(manifestPath(d), d.body);
      results.push(applied);
      if (ctx.printer.format === 'table') {
        io.stdout.write(`${render(planFromApplied(d, applied))}\n${d.kind.toLowerCase()} ${d.project}/${d.name} ${applied.created ? 'created' : 'configured'}\n\n`);
      }
    }
    if (ctx.printer.format !== 'table') ctx.printer.result(results, () => '');
    if (flags.wait) for (const d of docs) await waitUntilReady(ctx, d, flags.timeout);
  });

  withWait(
    program
      .command('delete')
      .description('delete what a file describes (a deployment\'s replicas go first)')
      .requiredOption(...FILE_OPTION),
  ).action(async (flags: FileFlags, command: Command) => {
    const ctx = commandContext(command, io);
    const docs = await readManifest(flags.filename);
    for (const d of [...docs].reverse()) {
      const found = await getOrNull<{ id: string }>(ctx, manifestPath(d));
      if (!found) {
        io.stdout.write(`${d.kind.toLowerCase()} ${d.project}/${d.name} does not exist; nothing to delete\n`);
        continue;
      }
      await ctx.client.delete(`/v1/${d.kind === 'Deployment' ? 'deployments' : 'clusters'}/${found.id}`);
      io.stdout.write(`${d.kind.toLowerCase()} ${d.project}/${d.name} deleting\n`);
    }
    if (flags.wait) for (const d of docs) await waitUntilGone(ctx, d, flags.timeout);
  });
}

function withWait(command: Command): Command {
  return command
    .option('--wait', 'wait until every document is ready (apply) or gone (delete), showing progress')
    .option('--timeout <seconds>', 'give up waiting after this long', positiveInteger, DEFAULT_WAIT_SECONDS);
}

async function planOf(ctx: CommandContext, d: ManifestDocument): Promise<DeploymentPlanView | ClusterPlanView> {
  const path = d.kind === 'Deployment' ? '/v1/deployments:plan' : '/v1/clusters:plan';
  return ctx.client.post<DeploymentPlanView | ClusterPlanView>(path, d.body);
}

function planFromApplied(d: ManifestDocument, applied: Record<string, unknown>): DeploymentPlanView | ClusterPlanView {
  return (d.kind === 'Deployment' ? applied['plan'] : applied['plans']) as DeploymentPlanView | ClusterPlanView;
}

function render(p: DeploymentPlanView | ClusterPlanView): string {
  if ('deployments' in p) {
    const groups = p.deployments.map((x) => renderPlan('node group', x).replace(/^/gm, '  '));
    return [`cluster ${p.project}/${p.name}${p.exists ? '' : ' (new)'}`, ...groups].join('\n');
  }
  return renderPlan('deployment', p);
}

async function getOrNull<T>(ctx: CommandContext, path: string): Promise<T | null> {
  try {
    return await ctx.client.get<T>(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

interface Readiness {
  phase: string;
  ready: boolean;
  failed: string | null;
  line: string;
}

/** How far a deployment (or a cluster) is, in one line for the progress display. */
function readiness(kind: ManifestDocument['kind'], r: Record<string, unknown>): Readiness {
  if (kind === 'Deployment') {
    const d = r as unknown as Deployment;
    const s = d.status;
    const progressing = s.conditions.find((c) => c.type === 'Progressing');
    const failing = progressing?.status === 'False' && progressing.reason === 'TemplateFailing' ? progressing.message : null;
    const waiting = progressing?.status === 'False' ? ` — ${progressing.message}` : '';
    return {
      phase: s.phase,
      ready: s.phase === 'Available' && s.observedGeneration === d.generation,
      failed: failing,
      line: `${s.phase}, ${s.readyReplicas}/${d.spec.replicas} ready, ${s.updatedReplicas} up to date${s.backoff.length ? `, avoiding ${s.backoff.map(backoffScope).join(', ')}` : ''}${waiting}`,
    };
  }
  const status = r['status'] as { phase: string; observedGeneration: number; controlPlane: { replicas: number; ready: number }; workerPools: { name: string; ready: number; replicas: number }[] };
  return {
    phase: status.phase,
    ready: status.phase === 'Ready' && status.observedGeneration === r['generation'],
    failed: null,
    line: `${status.phase}, control plane ${status.controlPlane.ready}/${status.controlPlane.replicas}${status.workerPools.map((p) => `, ${p.name} ${p.ready}/${p.replicas}`).join('')}`,
  };
}

async function waitUntilReady(ctx: CommandContext, d: ManifestDocument, timeoutSeconds: number): Promise<void> {
  const progress = new PhaseProgress(ctx.io.stderr, `${d.kind.toLowerCase()} ${d.project}/${d.name}`);
  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    for (;;) {
      const now = readiness(d.kind, await ctx.client.get<Record<string, unknown>>(manifestPath(d)));
      progress.update(now.line);
      if (now.ready) return;
      if (now.failed) throw new CommandFailedError(`${d.kind.toLowerCase()} ${d.project}/${d.name} is failing: ${now.failed}`);
      if (Date.now() > deadline) throw new CommandFailedError(`gave up after ${timeoutSeconds} s: ${d.kind.toLowerCase()} ${d.project}/${d.name} is ${now.line}`);
      await sleep(POLL_MS);
    }
  } finally {
    progress.finish();
  }
}

async function waitUntilGone(ctx: CommandContext, d: ManifestDocument, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while ((await getOrNull(ctx, manifestPath(d))) !== null) {
    if (Date.now() > deadline) throw new CommandFailedError(`gave up after ${timeoutSeconds} s: ${d.kind.toLowerCase()} ${d.project}/${d.name} still exists`);
    await sleep(POLL_MS);
  }
  ctx.io.stdout.write(`${d.kind.toLowerCase()} ${d.project}/${d.name} deleted\n`);
}
