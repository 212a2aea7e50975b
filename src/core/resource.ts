import { z } from 'zod';

/** Labels: Kubernetes-style keys and values, so selectors like `app=web,tier!=db` read the same everywhere. */
export const LABEL_KEY_PATTERN = /^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE_PATTERN = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

export const LabelKey = z
  .string()
  .regex(LABEL_KEY_PATTERN, {
    message: 'label keys are 1-63 letters, digits, ".", "_" or "-" (optionally "prefix/"), starting and ending alphanumeric',
  });
export const LabelValue = z
  .string()
  .regex(LABEL_VALUE_PATTERN, {
    message: 'label values are at most 63 letters, digits, ".", "_" or "-", starting and ending alphanumeric',
  });
export const Labels = z.record(LabelKey, LabelValue).meta({ id: 'Labels' });
export type Labels = z.infer<typeof Labels>;

export const Condition = z
  .object({
    type: z.string(),
    status: z.enum(['True', 'False', 'Unknown']),
    reason: z.string(),
    message: z.string(),
    lastTransitionTime: z.string(),
  })
  .meta({ id: 'Condition' });
export type Condition = z.infer<typeof Condition>;

/** The envelope every stored resource shares (DESIGN.md, "Resource model"). */
export interface Resource<Spec = unknown, Status = unknown> {
  id: string;
  kind: string;
  project: string;
  name: string;
  labels: Labels;
  spec: Spec;
  status: Status;
  /** Bumped by each spec change; status.observedGeneration says what a controller has acted on. */
  generation: number;
  /** Bumped by every write; a write naming an older one is refused (optimistic concurrency). */
  resourceVersion: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

export const ResourceMeta = {
  id: z.string(),
  kind: z.string(),
  project: z.string(),
  name: z.string(),
  labels: Labels,
  generation: z.number().int(),
  resourceVersion: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
};

/** Sets or replaces one condition, keeping lastTransitionTime when its status did not change. */
export function setCondition(
  conditions: Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const prev = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}

export function removeCondition(conditions: Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}
