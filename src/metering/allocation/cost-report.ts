import { z } from 'zod';

/**
 * How idle capacity (a private provider's capacity cost minus what its instances were charged) or shared cost
 * (instances labelled tessera.io/shared=true) appears: `none` — not at all (idle) or as its own project's cost
 * (shared); `show` — as rows of its own, project `(idle)` / `(shared)`; `even` — split equally over the projects
 * that used the provider (idle) or anything (shared) in the same time bucket; `proportional` — split by what
 * those projects were charged there.
 */
export const DistributionMode = z.enum(['none', 'show', 'even', 'proportional']);
export type DistributionMode = z.infer<typeof DistributionMode>;

/** The label that marks an instance whose cost is shared by every project. */
export const SHARED_LABEL = 'tessera.io/shared';
/** The project name of rows that belong to no project; never a valid project name (NAME_PATTERN). */
export const IDLE_PROJECT = '(idle)';
export const SHARED_PROJECT = '(shared)';

const Micros = z.number().int();

export const CostRow = z
  .object({
    keys: z.record(z.string(), z.string().nullable()).describe('the group: one value per `by` dimension (null: the lines have none, e.g. a label they do not carry)'),
    costMicros: Micros.describe('usageMicros + idleMicros + sharedMicros'),
    usageMicros: Micros.describe('what the group\'s own lines were charged'),
    idleMicros: Micros.describe('idle capacity: its own (project "(idle)") or the share distributed to this group'),
    sharedMicros: Micros.describe('shared cost received (positive) or given away by a "(shared)" row (negative)'),
    instanceHours: z.number().describe('hours of instances in the group, running or stopped (6 decimals)'),
    unpricedHours: z.number().describe('running hours the catalog had no price for: costed at 0, never guessed'),
    lines: z.number().int().describe('ledger lines (one instance, state and price within one UTC day)'),
  })
  .meta({ id: 'CostRow' });
export type CostRow = z.infer<typeof CostRow>;

export const CostReport = z
  .object({
    period: z.object({ from: z.string(), to: z.string().describe('the asked end, or now if that is earlier') }),
    by: z.array(z.string()),
    idle: DistributionMode,
    shared: DistributionMode,
    rows: z.array(CostRow),
    total: z.object({
      costMicros: Micros,
      usageMicros: Micros,
      idleMicros: Micros,
      sharedMicros: Micros,
      instanceHours: z.number(),
      lines: z.number().int(),
    }).describe('the exact sums of the rows'),
    unpricedHours: z.number(),
    notes: z.array(z.string()).describe('how idle and shared costs were worked out, and what was left out and why'),
  })
  .meta({ id: 'CostReport' });
export type CostReport = z.infer<typeof CostReport>;
