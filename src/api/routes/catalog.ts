import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Flavor, Image, Offer, Region } from '../../core/offer.js';
import type { ControlPlane } from '../control-plane.js';
import { itemsOf } from '../schemas.js';

const FlavorRow = Flavor.extend({
  simulated: z.boolean(),
  regions: z.array(z.string()),
  priceFromMicrosPerHour: z.number().int(),
}).meta({ id: 'FlavorRow' });

const RegionRow = Region.extend({ simulated: z.boolean() }).meta({ id: 'RegionRow' });

const Filter = z
  .object({ provider: z.string().max(63).optional(), region: z.string().max(63).optional(), market: z.enum(['on-demand', 'spot']).optional() })
  .strict();

/** Flavors, regions, images and offers of every configured provider (simulated ones flagged as such). */
export function catalogRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const simulated = (provider: string) => cp.providers.get(provider)?.simulated ?? false;

  async function offers(q: z.infer<typeof Filter>) {
    const all = q.provider ? await cp.catalog.forProvider(q.provider) : await cp.catalog.all();
    return all.filter((o) => (!q.region || o.region === q.region) && (!q.market || o.market === q.market));
  }

  return async (app) => {
    app.get(
      '/v1/offers',
      { config: { access: 'signed-in' }, schema: { summary: 'Offers: provider × region × flavor × market, with hourly price', tags: ['catalog'], querystring: Filter, response: { 200: itemsOf(Offer, 'OfferList') } } },
      async (req) => ({ items: await offers(req.query) }),
    );

    app.get(
      '/v1/flavors',
      { config: { access: 'signed-in' }, schema: { summary: 'Flavors, normalised (vCPU, memory, GPUs), with the lowest on-demand price', tags: ['catalog'], querystring: Filter, response: { 200: itemsOf(FlavorRow, 'FlavorList') } } },
      async (req) => {
        const byKey = new Map<string, z.infer<typeof FlavorRow>>();
        for (const o of await offers({ ...req.query, market: req.query.market ?? 'on-demand' })) {
          const key = `${o.provider}/${o.flavor}`;
          const row = byKey.get(key);
          if (!row) {
            byKey.set(key, {
              provider: o.provider,
              name: o.flavor,
              vcpus: o.vcpus,
              memoryGiB: o.memoryGiB,
              gpus: o.gpus,
              arch: o.arch,
              kind: o.kind,
              simulated: simulated(o.provider),
              regions: [o.region],
              priceFromMicrosPerHour: o.priceMicrosPerHour,
            });
          } else {
            if (!row.regions.includes(o.region)) row.regions.push(o.region);
            row.priceFromMicrosPerHour = Math.min(row.priceFromMicrosPerHour, o.priceMicrosPerHour);
          }
        }
        const items = [...byKey.values()].sort((a, b) => a.provider.localeCompare(b.provider) || a.vcpus - b.vcpus || a.memoryGiB - b.memoryGiB || a.name.localeCompare(b.name));
        return { items };
      },
    );

    app.get(
      '/v1/regions',
      { config: { access: 'signed-in' }, schema: { summary: 'Regions and zones of every provider', tags: ['catalog'], querystring: Filter.pick({ provider: true }), response: { 200: itemsOf(RegionRow, 'RegionList') } } },
      async (req) => {
        const drivers = cp.providers.all().filter((d) => !req.query.provider || d.name === req.query.provider);
        const lists = await Promise.all(drivers.map(async (d) => (await d.regions().catch(() => [])).map((r) => ({ ...r, simulated: d.simulated }))));
        return { items: lists.flat() };
      },
    );

    app.get(
      '/v1/images',
      { config: { access: 'signed-in' }, schema: { summary: 'Images each provider can boot', tags: ['catalog'], querystring: Filter.pick({ provider: true }), response: { 200: itemsOf(Image, 'ImageList') } } },
      async (req) => {
        const drivers = cp.providers.all().filter((d) => !req.query.provider || d.name === req.query.provider);
        const lists = await Promise.all(drivers.map((d) => d.images().catch(() => [])));
        return { items: lists.flat() };
      },
    );
  };
}
