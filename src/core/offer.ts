import { z } from 'zod';

export const Market = z.enum(['on-demand', 'spot']);
export type Market = z.infer<typeof Market>;

export const InstanceKindEnum = z.enum(['vm', 'container', 'baremetal']);
export type InstanceKind = z.infer<typeof InstanceKindEnum>;

/** A provider's flavor, normalised so requests can name requirements instead of a flavor name. */
export const Flavor = z
  .object({
    provider: z.string(),
    name: z.string(),
    vcpus: z.number(),
    memoryGiB: z.number(),
    gpus: z.number().int(),
    arch: z.string(),
    kind: InstanceKindEnum,
  })
  .meta({ id: 'Flavor' });
export type Flavor = z.infer<typeof Flavor>;

/** What can be had where, at what price: provider × region × flavor × market. */
export const Offer = z
  .object({
    provider: z.string(),
    region: z.string(),
    zone: z.string().nullable(),
    flavor: z.string(),
    vcpus: z.number(),
    memoryGiB: z.number(),
    gpus: z.number().int(),
    arch: z.string(),
    kind: InstanceKindEnum,
    market: Market,
    /** Integer micro-dollars per hour (never a float sum). */
    priceMicrosPerHour: z.number().int(),
    /** How many more of this flavor the region can take now; null when the provider does not say. */
    available: z.number().int().nullable(),
  })
  .meta({ id: 'Offer' });
export type Offer = z.infer<typeof Offer>;

export const Region = z
  .object({ provider: z.string(), name: z.string(), zones: z.array(z.string()), location: z.string().nullable() })
  .meta({ id: 'Region' });
export type Region = z.infer<typeof Region>;

export const Image = z
  .object({ provider: z.string(), name: z.string(), os: z.string(), arch: z.string() })
  .meta({ id: 'Image' });
export type Image = z.infer<typeof Image>;
