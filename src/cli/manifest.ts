import { parseAllDocuments } from 'yaml';
import { UsageError } from './errors.js';
import { readTextFile } from './read-text-file.js';

/** The kinds `tessera plan|apply|delete -f` understand, with where each is applied. */
export const MANIFEST_KINDS = ['Deployment', 'Cluster'] as const;
export type ManifestKind = (typeof MANIFEST_KINDS)[number];

/** One document of a file: what it is, where it came from (for messages), and the document as written. */
export interface ManifestDocument {
  kind: ManifestKind;
  project: string;
  name: string;
  /** `deploy.yaml#2`: the file and the document's position in it, counted from 1. */
  source: string;
  body: Record<string, unknown>;
}

/**
 * Reads a YAML (or JSON) file of one or more documents separated by `---`. Each document needs a known `kind`
 * and `metadata.name`; everything else is checked by the API, which answers with the field that is wrong.
 */
export async function readManifest(path: string): Promise<ManifestDocument[]> {
  const text = await readTextFile(path, 'the file');
  const out: ManifestDocument[] = [];
  const docs = parseAllDocuments(text);
  for (const [index, doc] of docs.entries()) {
    const source = `${path}#${index + 1}`;
    if (doc.errors.length > 0) throw new UsageError(`${source} is not valid YAML: ${doc.errors[0]!.message}`);
    const body = doc.toJS() as unknown;
    if (body === null || body === undefined) continue; // an empty document (a trailing ---)
    if (typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${source} is not a mapping: a document has apiVersion, kind, metadata and spec`);
    const b = body as Record<string, unknown>;
    const kind = b['kind'];
    if (typeof kind !== 'string' || !(MANIFEST_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`${source} has kind ${JSON.stringify(kind ?? null)}: use one of ${MANIFEST_KINDS.join(', ')}`);
    }
    const metadata = (b['metadata'] ?? {}) as Record<string, unknown>;
    const name = metadata['name'];
    if (typeof name !== 'string' || name === '') throw new UsageError(`${source} (${kind}) has no metadata.name: every document needs one`);
    const project = typeof metadata['project'] === 'string' ? metadata['project'] : 'default';
    out.push({ kind: kind as ManifestKind, project, name, source, body: { ...b, metadata: { ...metadata, project } } });
  }
  if (out.length === 0) throw new UsageError(`${path} holds no documents`);
  const seen = new Set<string>();
  for (const d of out) {
    const key = `${d.kind}/${d.project}/${d.name}`;
    if (seen.has(key)) throw new UsageError(`${d.source} repeats ${d.kind} ${d.project}/${d.name}: each may appear once in a file`);
    seen.add(key);
  }
  return out;
}

/** Where a document lives in the API. */
export function manifestPath(d: Pick<ManifestDocument, 'kind' | 'project' | 'name'>): string {
  const collection = d.kind === 'Deployment' ? 'deployments' : 'clusters';
  return `/v1/projects/${encodeURIComponent(d.project)}/${collection}/${encodeURIComponent(d.name)}`;
}
