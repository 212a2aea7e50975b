import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { registerAuditTrail } from './audit-trail.js';
import { registerAuth } from './auth.js';
import type { ControlPlane } from './control-plane.js';
import { errorHandler, frameworkErrorHandler, notFoundHandler, rejectNulInQuery } from './errors.js';
import { otlpRoutes } from './otlp-receiver.js';
import { registerIdempotency } from './idempotency.js';
import { baremetalRoutes } from './routes/baremetal.js';
import { catalogRoutes } from './routes/catalog.js';
import { priceCatalogRoutes } from './routes/price-catalog.js';
import { maturityRoutes } from './routes/maturity.js';
import { pricePerfRoutes } from './routes/priceperf.js';
import { costModelRoutes } from './routes/cost-models.js';
import { costRoutes } from './routes/cost.js';
import { budgetRoutes } from './routes/budgets.js';
import { eventRoutes } from './routes/events.js';
import { deploymentRoutes } from './routes/deployments.js';
import { clusterRoutes } from './routes/clusters.js';
import { federationRoutes } from './routes/federation.js';
import { homeRoutes } from './routes/home.js';
import { identityRoutes } from './routes/identity.js';
import { instanceRoutes } from './routes/instances.js';
import { projectRoutes } from './routes/projects.js';
import { samlRoutes } from './routes/saml.js';
import { providerRoutes } from './routes/providers.js';
import { systemRoutes } from './routes/system.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the HTTP API over a control plane: validation and OpenAPI from the same zod schemas. */
export async function buildApp(cp: ControlPlane): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: cp.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Changes are logged one line each, with the request id; reads are not (they would drown everything else).
    logController: new LogController({ disableRequestLogging: (req) => req.method === 'GET' || req.method === 'HEAD' }),
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router raises before any route runs (bad percent-encoding, an over-long path segment) get
    // the same error body as everything else.
    frameworkErrors: (err, req, reply) => frameworkErrorHandler(err, req, reply),
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are typed by the same schemas at compile time; at run time they are plain JSON (fast path).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // One hook rather than two (each costs a turn of Fastify's hook runner on every request). The id header comes
  // first, so every answer (an early rejection included) carries it.
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    rejectNulInQuery(req, done);
  });

  app.addHook('onResponse', (req, reply, done) => {
    cp.metrics.httpRequests.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera API',
        version: '1',
        description: 'One control plane for a heterogeneous cloud. Every POST accepts an Idempotency-Key header.',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // Cookies are parsed on demand (the session cookie, only when no token came), not on every request.
  await app.register(fastifyCookie, { hook: false });
  // The SAML HTTP-POST binding posts an HTML form.
  await app.register(fastifyFormbody);
  registerAuth(app, cp);
  registerAuditTrail(app, cp);
  registerIdempotency(app, cp.store);

  const typed = app.withTypeProvider<ZodTypeProvider>();
  await typed.register(systemRoutes(cp));
  await typed.register(instanceRoutes(cp));
  await typed.register(deploymentRoutes(cp));
  await typed.register(clusterRoutes(cp));
  await typed.register(catalogRoutes(cp));
  await typed.register(priceCatalogRoutes(cp));
  await typed.register(maturityRoutes(cp));
  await typed.register(pricePerfRoutes(cp));
  await typed.register(costModelRoutes(cp));
  await typed.register(costRoutes(cp));
  await typed.register(budgetRoutes(cp));
  await typed.register(providerRoutes(cp));
  await typed.register(baremetalRoutes(cp));
  await typed.register(projectRoutes(cp));
  await typed.register(eventRoutes(cp));
  await typed.register(otlpRoutes(cp));
  await typed.register(identityRoutes(cp));
  await typed.register(federationRoutes(cp));
  await typed.register(samlRoutes(cp));
  await typed.register(homeRoutes(cp));
  await app.ready();
  return app;
}
