import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type CreateRequest } from '../driver.js';

/**
 * Tessera labels as Azure tags. Azure forbids `/` in a tag name (also `<>%&\?`), which every prefixed label key
 * (`tessera.io/id`, `app.kubernetes.io/name`) contains; `:` is allowed in tag names and never appears in a label
 * key, so `/` ↔ `:` maps keys both ways without loss. Tag names are case-insensitive in Azure: two labels that
 * differ only in case would collide (Tessera's own never do).
 */

/** The image name the request used: reported back as the instance's image (the VM shows only the reference). */
export const IMAGE_TAG = 'tessera.io:image';
export const ID_TAG = labelKeyToTag(TESSERA_ID_LABEL);
export const TOKEN_TAG = labelKeyToTag(TESSERA_TOKEN_LABEL);

/** Bookkeeping tags: reported through ObservedInstance fields, not as labels. */
const BOOKKEEPING = new Set([IMAGE_TAG]);

export function labelKeyToTag(key: string): string {
  return key.replace('/', ':');
}

export function tagToLabelKey(tag: string): string {
  return tag.replace(':', '/');
}

/** The tags of every resource Tessera makes for one instance (VM and NIC alike). */
export function instanceTags(req: CreateRequest, token: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.labels)) tags[labelKeyToTag(key)] = value;
  // Tessera's own last, so a request's label cannot overwrite them.
  tags[ID_TAG] = req.tesseraId;
  tags[TOKEN_TAG] = token;
  tags[IMAGE_TAG] = req.image;
  return tags;
}

/** The labels an observed VM reports: its tags as label keys, Tessera's id and token included, bookkeeping left out. */
export function labelsOfTags(tags: Record<string, string> | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [tag, value] of Object.entries(tags ?? {})) if (!BOOKKEEPING.has(tag)) labels[tagToLabelKey(tag)] = value;
  return labels;
}

/** A tag by name, ignoring case as Azure does (a tag written as `Tessera.io:ID` elsewhere is the same tag). */
export function tagValue(tags: Record<string, string> | undefined, name: string): string | null {
  if (!tags) return null;
  if (name in tags) return tags[name]!;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(tags)) if (key.toLowerCase() === lower) return value;
  return null;
}
