import { z } from 'zod';
import { parseLabelSelector } from '../../core/selector.js';

export const WORK_UNIT_KIND = 'WorkUnit';

/**
 * A unit of useful work, declared by the people who run a workload: which instances do it (a label selector in
 * the unit's project), and which OTLP metric counts it — e.g. the count of `http.server.request.duration` (one
 * point per request served) or the sum of a benchmark's `jobs.completed`.
 */
export const WorkUnitSpec = z
  .object({
    selector: z
      .string()
      .min(1, 'give a label selector such as app=web')
      .max(1000)
      .refine(
        (s) => {
          try {
            parseLabelSelector(s);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a label selector: write e.g. app=web, tier in (api,web), !canary' },
      ),
    metric: z.string().min(1).max(255).describe('the OTLP metric name, e.g. http.server.request.duration'),
    aggregation: z.enum(['count', 'sum', 'max', 'last']).describe('count: points or measurements; sum: a counter’s increase; max, last'),
    unit: z.string().min(1).max(63).default('unit').describe('what one unit is called in reports, e.g. request'),
  })
  .strict()
  .meta({ id: 'WorkUnitSpec' });
export type WorkUnitSpec = z.infer<typeof WorkUnitSpec>;
