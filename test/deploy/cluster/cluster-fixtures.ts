import { X509Certificate, createHash } from 'node:crypto';
import { parse, parseAllDocuments } from 'yaml';
import { ClusterDocument, type ClusterDocumentInput, type ClusterRef } from '../../../src/deploy/cluster/cluster.js';
import { generateClusterSecrets, type ClusterSecrets } from '../../../src/deploy/cluster/cluster-secrets.js';
import { KUBEADM_CONFIG_PATH } from '../../../src/deploy/cluster/kubeadm-cloud-init.js';
import type { KubeadmDocument } from '../../../src/deploy/cluster/kubeadm-config.js';

/** A cluster document as a user would write it: 3 control-plane nodes, a general pool and a tainted GPU pool. */
export function clusterInput(overrides: { name?: string; spec?: Record<string, unknown> } = {}): ClusterDocumentInput {
  return {
    kind: 'Cluster',
    metadata: { name: overrides.name ?? 'prod', project: 'payments', labels: { team: 'platform' } },
    spec: {
      controlPlane: { replicas: 3, template: { requirements: { vcpus: 2, memoryGiB: 4 } }, placement: { objective: 'spread' } },
      workerPools: [
        { name: 'general', replicas: 4, template: { flavor: 'm6i.large' }, labels: { 'example.com/tier': 'general' } },
        {
          name: 'gpu',
          replicas: 2,
          template: { requirements: { vcpus: 8, memoryGiB: 32, gpus: 1 } },
          placement: { providers: { allow: ['aws', 'gcp'] } },
          labels: { 'example.com/accelerator': 'nvidia' },
          taints: [{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }, { key: 'example.com/preemptible', effect: 'PreferNoSchedule' }],
        },
      ],
      ...overrides.spec,
    },
  };
}

export function parseCluster(input: ClusterDocumentInput = clusterInput()): ClusterDocument {
  return ClusterDocument.parse(input);
}

export function clusterRef(doc: ClusterDocument): ClusterRef & { labels: Record<string, string> } {
  return { project: doc.metadata.project, name: doc.metadata.name, labels: doc.metadata.labels, spec: doc.spec };
}

/** Every message a parse failure carries, joined, for `toMatch`. */
export function issuesOf(input: unknown): string {
  const result = ClusterDocument.safeParse(input);
  if (result.success) return '';
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

let shared: ClusterSecrets | undefined;
/** RSA key generation is slow enough to share one set of secrets between the tests of a file. */
export function sharedSecrets(): ClusterSecrets {
  shared ??= generateClusterSecrets('prod');
  return shared;
}

/** kubeadm's discovery hash recomputed with node:crypto only, independently of the code under test (node-forge). */
export function spkiHashWithNodeCrypto(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export interface ParsedUserData {
  config: Record<string, unknown> & {
    write_files: { path: string; content: string; permissions: string; owner: string }[];
    runcmd: (string | string[])[];
    packages: (string | string[])[];
    apt: { sources: Record<string, { source: string; keyid: string; keyserver: string }> };
  };
  /** The documents of /etc/tessera/kubeadm.yaml, parsed. */
  kubeadm: { apiVersion: string; kind: string }[];
  /** The one document of that kind, typed as the renderer's interface for it (the test then checks it field by field). */
  kind<K extends KubeadmDocument['kind']>(kind: K): Extract<KubeadmDocument, { kind: K }>;
  file(path: string): { path: string; content: string; permissions: string; owner: string } | undefined;
}

/** Parses user data the way cloud-init would see it, and the kubeadm file inside it. */
export function parseUserData(userData: string): ParsedUserData {
  if (!userData.startsWith('#cloud-config\n')) throw new Error('user data does not start with #cloud-config');
  const config = parse(userData) as ParsedUserData['config'];
  const file = (path: string) => config.write_files.find((f) => f.path === path);
  const kubeadmFile = file(KUBEADM_CONFIG_PATH);
  if (!kubeadmFile) throw new Error(`no ${KUBEADM_CONFIG_PATH} in write_files`);
  const docs = parseAllDocuments(kubeadmFile.content);
  if (!Array.isArray(docs)) throw new Error('kubeadm file is empty');
  for (const d of docs) if (d.errors.length > 0) throw new Error(`kubeadm file: ${d.errors.map((e) => e.message).join('; ')}`);
  const kubeadm = docs.map((d) => d.toJS() as { apiVersion: string; kind: string });
  const kind = <K extends KubeadmDocument['kind']>(k: K) => {
    const found = kubeadm.filter((d) => d.kind === k);
    if (found.length !== 1) throw new Error(`expected one ${k} in the kubeadm file, found ${found.length}`);
    return found[0] as Extract<KubeadmDocument, { kind: K }>;
  };
  return { config, kubeadm, kind, file };
}

/** A runcmd entry as the shell line it becomes (list entries are joined by spaces). */
export function commandText(entry: string | string[]): string {
  return Array.isArray(entry) ? entry.join(' ') : entry;
}
