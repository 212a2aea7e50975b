import type { Command } from 'commander';
import { DEPLOYMENT_LABEL, TEMPLATE_LABEL, type Deployment } from '../../deploy/deployment.js';
import { formatUsd } from '../../core/money.js';
import { backoffScope } from '../../deploy/deployment-plan.js';
import type { Instance, Page } from '../api-types.js';
import { commandContext, type CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { age, labelsText } from '../format.js';
import type { CliIo } from '../io.js';
import type { DetailView, TableView } from '../output.js';

/** Resource kinds `tessera get` knows, by every name people type for them (kubectl's habit). */
const KINDS: Record<string, 'deployment' | 'cluster'> = {
  deployment: 'deployment',
  deployments: 'deployment',
  deploy: 'deployment',
  cluster: 'cluster',
  clusters: 'cluster',
};

interface GetFlags {
  project: string;
}

/** A Cluster as `tessera get` shows it (src/deploy/cluster/cluster.ts holds the schema). */
interface ClusterView {
  id: string;
  project: string;
  name: string;
  createdAt: string;
  spec: { kubernetesVersion: string; controlPlane: { replicas: number }; workerPools: { name: string; replicas: number }[] };
  status: { phase: string; controlPlane: { replicas: number; ready: number }; workerPools: { name: string; replicas: number; ready: number }[]; deployments: string[] };
}

export function registerGetCommand(program: Command, io: CliIo): void {
  program
    .command('get')
    .description('show deployments or clusters: a list, or one in full (-o yaml for everything, failover reasons included)')
    .argument('<kind>', `one of ${Object.keys(KINDS).join(', ')}`)
    .argument('[name]', 'one of them, by name')
    .option('--project <project>', 'the project (default: default for one by name; all you can see for a list)')
    .action(async (kindArg: string, name: string | undefined, flags: Partial<GetFlags>, command: Command) => {
      const kind = KINDS[kindArg.toLowerCase()];
      if (!kind) throw new UsageError(`"${kindArg}" is not a kind tessera get knows: use one of ${Object.keys(KINDS).join(', ')}`);
      const ctx = commandContext(command, io);
      const collection = `${kind}s`;
      if (name !== undefined) {
        const found = await ctx.client.get<Deployment | ClusterView>(`/v1/projects/${encodeURIComponent(flags.project ?? 'default')}/${collection}/${encodeURIComponent(name)}`);
        if (kind === 'cluster' || ctx.printer.format !== 'table') {
          ctx.printer.result(found, () => (kind === 'deployment' ? deploymentDetail(found as Deployment, []) : clusterDetail(found as ClusterView)));
          return;
        }
        // A person reading one deployment also wants its replicas: where each runs and how it is.
        const d = found as Deployment;
        const replicas = (await ctx.client.get<Page<Instance>>('/v1/instances', { project: d.project, selector: `${DEPLOYMENT_LABEL}=${d.name}`, limit: REPLICAS_SHOWN + 1 })).items;
        ctx.printer.result(found, () => deploymentDetail(d, replicas));
        return;
      }
      const items = await listAll(ctx, `/v1/${collection}`, flags.project);
      ctx.printer.result(items, () => (kind === 'deployment' ? deploymentTable(items as Deployment[]) : clusterTable(items as ClusterView[])));
    });
}

async function listAll(ctx: CommandContext, path: string, project?: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.client.get<Page<unknown>>(path, { project, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

function deploymentTable(items: Deployment[]): TableView {
  return {
    head: ['NAME', 'PROJECT', 'READY', 'UP-TO-DATE', 'PHASE', '$/H', 'PLACEMENT', 'AGE'],
    rows: items.map((d) => [
      d.name,
      d.project,
      `${d.status.readyReplicas}/${d.spec.replicas}`,
      d.status.updatedReplicas,
      d.status.phase,
      d.status.placement ? formatUsd(d.status.placement.totalMicrosPerHour) : null,
      d.status.placement?.offers.map((o) => `${o.replicas}×${o.provider}/${o.region}`).join(' '),
      age(d.createdAt),
    ]),
  };
}

/** Replicas listed under one deployment's detail; `tessera instance list -l tessera.io/deployment=NAME` has them all. */
const REPLICAS_SHOWN = 20;

function deploymentDetail(d: Deployment, replicas: Instance[]): DetailView {
  const s = d.status;
  const fields: DetailView['fields'] = [
    ['name', `${d.project}/${d.name} (${d.id})`],
    ['phase', s.phase],
    ['replicas', `${s.readyReplicas} ready, ${s.updatedReplicas} up to date, ${s.replicas} exist, ${d.spec.replicas} wanted`],
    ['template', `${d.spec.template.flavor ?? `${d.spec.template.requirements!.vcpus} vCPU / ${d.spec.template.requirements!.memoryGiB} GiB`}, image ${d.spec.template.image} (hash ${s.templateHash ?? '-'})`],
    ['objective', d.spec.placement.objective],
    ['labels', labelsText(d.labels)],
  ];
  for (const o of s.placement?.offers ?? []) fields.push(['placed on', `${o.replicas} × ${o.provider}/${o.region}/${o.flavor} at $${formatUsd(o.priceMicrosPerHour)}/h`]);
  if (s.placement) fields.push(['hourly', `$${formatUsd(s.placement.totalMicrosPerHour)}/h (${s.placement.method})`]);
  for (const r of s.placement?.rejectedAlternatives.slice(0, 3) ?? []) fields.push(['passed over', `${r.provider}/${r.region}/${r.flavor} $${formatUsd(r.priceMicrosPerHour)}/h: ${r.reason}`]);
  for (const b of s.backoff) fields.push(['avoiding', `${backoffScope(b)} until ${b.until}: ${b.reason} (${b.message})`]);
  for (const f of s.recentFailures.slice(-5)) fields.push(['failure', `${f.at} ${f.replica} on ${f.provider}/${f.region}: ${f.reason}; ${f.action}`]);
  for (const c of s.conditions) fields.push([`condition ${c.type}`, `${c.status} ${c.reason}: ${c.message}`]);
  for (const i of replicas.slice(0, REPLICAS_SHOWN)) {
    fields.push([`replica ${i.name}`, `${i.status.phase}${i.deletedAt ? ' (deleting)' : ''} on ${i.spec.provider}/${i.spec.region}/${i.spec.flavor}${i.labels[TEMPLATE_LABEL] !== s.templateHash ? ' (old template)' : ''}`]);
  }
  if (replicas.length > REPLICAS_SHOWN) fields.push(['replicas', `… and more: tessera instance list -l ${DEPLOYMENT_LABEL}=${d.name} --all`]);
  return { fields };
}

function clusterTable(items: ClusterView[]): TableView {
  return {
    head: ['NAME', 'PROJECT', 'VERSION', 'CONTROL PLANE', 'WORKERS', 'PHASE', 'AGE'],
    rows: items.map((c) => [
      c.name,
      c.project,
      c.spec.kubernetesVersion,
      `${c.status.controlPlane.ready}/${c.spec.controlPlane.replicas}`,
      c.status.workerPools.map((p) => `${p.name} ${p.ready}/${p.replicas}`).join(', '),
      c.status.phase,
      age(c.createdAt),
    ]),
  };
}

function clusterDetail(c: ClusterView): DetailView {
  return {
    fields: [
      ['name', `${c.project}/${c.name} (${c.id})`],
      ['phase', c.status.phase],
      ['kubernetes', c.spec.kubernetesVersion],
      ['control plane', `${c.status.controlPlane.ready}/${c.status.controlPlane.replicas} ready`],
      ...c.status.workerPools.map((p): [string, string] => [`pool ${p.name}`, `${p.ready}/${p.replicas} ready`]),
      ['deployments', c.status.deployments.join(', ')],
    ],
  };
}
