import { createHash } from 'node:crypto';
import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, ProviderError, type CreateRequest } from '../driver.js';

/**
 * The label scheme of a Tessera VM on Compute Engine. GCE label keys and values allow only lowercase letters,
 * digits, `_` and `-` (keys start with a letter; both at most 63 characters; at most 64 labels), so Tessera's own
 * `tessera.io/id` and `tessera.io/token` are written as `tessera-id` and `tessera-token`, and read back under
 * their Tessera names. They are labels, not metadata, because a list call can filter on a label
 * (`labels.tessera-token = "…"`): observe-before-create finds a half-made VM by its token in one call.
 *
 * A value that does not fit a label (upper case, a dot, more than 63 characters) is labelled with a hash of
 * itself, and the exact value goes into the instance metadata under the same key, which the reader then prefers.
 * A request's own labels are made to fit the same rules (lower-cased, other characters become `_`), so
 * `app.kubernetes.io/name: Web` is labelled `app_kubernetes_io_name: web` and reported that way.
 */
export const GCE_ID_LABEL = 'tessera-id';
export const GCE_TOKEN_LABEL = 'tessera-token';

const KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const VALUE = /^[a-z0-9_-]{0,63}$/;
const MAX_LABELS = 64;

/** The label value for one of Tessera's own values; `exact` is set when the label holds only a hash of it. */
export function encodeOwnValue(value: string): { label: string; exact: string | null } {
  if (VALUE.test(value)) return { label: value, exact: null };
  return { label: `sha256-${createHash('sha256').update(value).digest('hex').slice(0, 56)}`, exact: value };
}

/** A request label key as GCE accepts it. */
export function labelKeyFor(key: string): string {
  let out = key.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (!/^[a-z]/.test(out)) out = `l_${out}`;
  return out.slice(0, 63);
}

/** A request label value as GCE accepts it. */
export function labelValueFor(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
}

export interface EncodedLabels {
  labels: Record<string, string>;
  /** Metadata items carrying exact values that only fit the labels as hashes. */
  metadata: { key: string; value: string }[];
}

/** The labels (and, rarely, metadata) a new VM carries. Throws Invalid when the request's labels cannot fit. */
export function encodeLabels(provider: string, req: CreateRequest, token: string): EncodedLabels {
  const labels: Record<string, string> = {};
  const origin = new Map<string, string>();
  for (const [key, value] of Object.entries(req.labels)) {
    const k = labelKeyFor(key);
    if (k === GCE_ID_LABEL || k === GCE_TOKEN_LABEL) continue; // Tessera's own, set below
    const earlier = origin.get(k);
    if (earlier !== undefined) {
      throw new ProviderError(
        'Invalid',
        `gcp provider '${provider}': labels '${earlier}' and '${key}' both become '${k}' under GCE's label rules (lowercase letters, digits, _ and -): rename one of them`,
        provider,
        'LabelCollision',
      );
    }
    origin.set(k, key);
    labels[k] = labelValueFor(value);
  }
  const metadata: { key: string; value: string }[] = [];
  for (const [labelKey, value] of [
    [GCE_ID_LABEL, req.tesseraId],
    [GCE_TOKEN_LABEL, token],
  ] as const) {
    const { label, exact } = encodeOwnValue(value);
    labels[labelKey] = label;
    if (exact !== null) metadata.push({ key: labelKey, value: exact });
  }
  if (Object.keys(labels).length > MAX_LABELS) {
    throw new ProviderError(
      'Invalid',
      `gcp provider '${provider}': a GCE instance holds at most ${MAX_LABELS} labels, and Tessera needs 2 of them: give at most ${MAX_LABELS - 2} labels`,
      provider,
      'TooManyLabels',
    );
  }
  for (const [k, v] of Object.entries(labels)) {
    // Guaranteed by the encoders above; checked so a mistake there fails here, not as a GCE 400.
    if (!KEY.test(k) || !VALUE.test(v)) throw new Error(`bug: label ${k}=${v} does not fit GCE's rules`);
  }
  return { labels, metadata };
}

export interface DecodedLabels {
  tesseraId: string | null;
  token: string | null;
  /** The VM's labels as Tessera reports them: its own two under their Tessera names, the rest as GCE holds them. */
  labels: Record<string, string>;
}

/** Reads Tessera's id and token back from a VM's labels, preferring an exact value kept in its metadata. */
export function decodeLabels(labels: Record<string, string>, metadata: Map<string, string>): DecodedLabels {
  const read = (key: string): string | null => metadata.get(key) ?? labels[key] ?? null;
  const tesseraId = read(GCE_ID_LABEL);
  const token = read(GCE_TOKEN_LABEL);
  const reported: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== GCE_ID_LABEL && k !== GCE_TOKEN_LABEL) reported[k] = v;
  if (tesseraId !== null) reported[TESSERA_ID_LABEL] = tesseraId;
  if (token !== null) reported[TESSERA_TOKEN_LABEL] = token;
  return { tesseraId, token, labels: reported };
}

/** The list filter that finds the VM carrying a create token. */
export function tokenFilter(token: string): string {
  return `labels.${GCE_TOKEN_LABEL} = "${encodeOwnValue(token).label}"`;
}
