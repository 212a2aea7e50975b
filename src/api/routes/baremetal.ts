import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { InvalidInputError, NotFoundError } from '../../core/errors.js';
import { BaremetalDriver } from '../../providers/baremetal/driver.js';
import { EnrollMachine, MACHINE_NAME } from '../../providers/baremetal/machine.js';
import { MachineInspection, MachineView } from '../../providers/baremetal/machine-view.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const ProviderParam = z.object({ provider: z.string().min(1).max(63) });
const MachineParams = ProviderParam.extend({
  name: z.string().regex(MACHINE_NAME, { message: 'not a machine name (lowercase letters, digits and "-")' }),
});

/**
 * The bare-metal pools: enroll machines (name, rack, facts, BMC and its login), list them, inspect one (its power
 * asked of the BMC now), retire one. Organisation admins only: a BMC login is the keys to a physical machine. The
 * password goes in once and is sealed; no answer carries it (nor the username).
 */
export function baremetalRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  /**
   * The pool behind a configured provider. The route talks to the driver itself, not through its rate limiter
   * and circuit breaker: enrollment is an administrator's action on the pool file, not a call to a cloud.
   */
  function poolOf(provider: string): BaremetalDriver {
    const guarded = cp.providers.get(provider);
    const pools = cp.providers.all().filter((d) => d.inner instanceof BaremetalDriver).map((d) => d.name);
    const choices = pools.length > 0 ? `use one of ${pools.join(', ')}` : 'configure one (type: baremetal) in tessera.yaml first';
    if (!guarded) throw new NotFoundError(`provider "${provider}" is not configured: ${choices}`);
    if (!(guarded.inner instanceof BaremetalDriver)) {
      throw new InvalidInputError(`provider "${provider}" is of type ${guarded.type}, and only baremetal providers have a machine pool: ${choices}`, { field: 'provider' });
    }
    return guarded.inner;
  }

  return async (app) => {
    app.post(
      '/v1/baremetal/:provider/machines',
      {
        config: { access: 'org-admin', action: 'baremetal.enroll' },
        schema: {
          summary: 'Enroll a machine into a bare-metal pool (its BMC is asked for its power state first; the password is sealed, never returned)',
          tags: ['baremetal'],
          params: ProviderParam,
          body: EnrollMachine,
          response: { 201: MachineView, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        req.auditResourceId = `${req.params.provider}/${req.body.name}`;
        const enrolled = await poolOf(req.params.provider).enroll(req.body);
        // Placement reads offers from a cache: the new machine is capacity now, not in a minute.
        cp.catalog.invalidate(req.params.provider);
        return reply.code(201).send(enrolled);
      },
    );

    app.get(
      '/v1/baremetal/:provider/machines',
      {
        config: { access: 'org-admin' },
        schema: {
          summary: 'The machines of a bare-metal pool, as last seen (no BMC is asked)',
          tags: ['baremetal'],
          params: ProviderParam,
          response: { 200: itemsOf(MachineView, 'BaremetalMachineList'), ...COMMON_ERRORS },
        },
      },
      async (req) => ({ items: poolOf(req.params.provider).machines() }),
    );

    app.get(
      '/v1/baremetal/:provider/machines/:name',
      {
        config: { access: 'org-admin' },
        schema: {
          summary: "One machine, with its power state asked of its BMC now (a silent BMC marks it unreachable)",
          tags: ['baremetal'],
          params: MachineParams,
          response: { 200: MachineInspection, ...COMMON_ERRORS },
        },
      },
      async (req) => poolOf(req.params.provider).inspect(req.params.name),
    );

    app.delete(
      '/v1/baremetal/:provider/machines/:name',
      {
        config: { access: 'org-admin', action: 'baremetal.retire' },
        schema: {
          summary: 'Retire a machine: it leaves the pool (refused while it is allocated)',
          tags: ['baremetal'],
          params: MachineParams,
          response: { 200: MachineView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        req.auditResourceId = `${req.params.provider}/${req.params.name}`;
        const retired = poolOf(req.params.provider).retire(req.params.name);
        cp.catalog.invalidate(req.params.provider);
        return retired;
      },
    );
  };
}
