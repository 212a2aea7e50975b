import { createHash } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-ec2';
import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type CreateRequest } from '../driver.js';

/**
 * The tag scheme of a Tessera instance. Tags are written at launch (RunInstances TagSpecifications), in the same
 * call that makes the instance, so an instance is never seen without them: observe-before-create finds a launch
 * whose answer was lost by its token tag. A request's labels become tags as they are (Tessera's label syntax is
 * a subset of EC2's tag syntax), `Name` is the console's name column, and the image is kept as the request named
 * it, since EC2 only knows the AMI id.
 */

/** The image as the request named it (a configured name such as `ubuntu-24.04`, or an AMI id). */
export const IMAGE_TAG = 'tessera.io/image';
const NAME_TAG = 'Name';

export function instanceTags(req: CreateRequest, token: string): Tag[] {
  // Tessera's own tags last, so a request's label cannot overwrite them.
  const tags: Record<string, string> = {
    ...req.labels,
    [NAME_TAG]: req.name,
    [TESSERA_ID_LABEL]: req.tesseraId,
    [TESSERA_TOKEN_LABEL]: token,
    [IMAGE_TAG]: req.image,
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** The labels an observed instance reports: its tags, without the name, bookkeeping and AWS's own `aws:` tags. */
export function reportedLabels(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => key !== NAME_TAG && key !== IMAGE_TAG && !key.startsWith('aws:')));
}

export function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));
}

export function nameTag(tags: Record<string, string>): string | undefined {
  return tags[NAME_TAG];
}

/**
 * The RunInstances ClientToken for a Tessera create token: the token itself when EC2 accepts it (up to 64
 * printable ASCII characters), else a digest of it — the same token always gives the same ClientToken, which is
 * all idempotency needs. The full token stays in the token tag.
 */
export function clientTokenFor(token: string): string {
  if (/^[\x21-\x7e]{1,64}$/.test(token)) return token;
  return `tsr-${createHash('sha256').update(token).digest('hex').slice(0, 60)}`;
}

/** A DescribeInstances filter value that matches `value` literally: EC2 filters treat `*` and `?` as wildcards. */
export function literalFilterValue(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}
