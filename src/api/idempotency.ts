import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, IdempotencyMismatchError, InvalidInputError } from '../core/errors.js';
import type { Store } from '../store/store.js';

const HEADER = 'idempotency-key';
const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
  }
  interface FastifyContextConfig {
    /** Fields of the answer that hold secrets (a new token, temporary cloud credentials): kept for replays without them. */
    answerSecrets?: readonly string[];
  }
}

/** What is kept of an answer for replay: everything, except secrets that must never be stored. */
function keptAnswer(req: FastifyRequest, payload: unknown): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const secrets = req.routeOptions.config.answerSecrets;
  if (!secrets) return text;
  const kept = JSON.parse(text) as Record<string, unknown>;
  for (const field of secrets) delete kept[field];
  return JSON.stringify({ ...kept, secretShownOnce: true });
}

/**
 * `Idempotency-Key` on every POST: the first answer to a key is kept and replayed to every retry of the same
 * request; the same key with a different request is refused, so a retried `create` never makes two instances.
 */
export function registerIdempotency(app: FastifyInstance, store: Store): void {
  // Attached to POST routes only, so reads pay nothing for it.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!methods.includes('POST')) return;
    route.preHandler = [...[route.preHandler ?? []].flat(), reserve];
    route.onSend = [...[route.onSend ?? []].flat(), remember];
  });

  async function reserve(req: FastifyRequest, reply: FastifyReply) {
    const key = req.headers[HEADER];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new InvalidInputError('Idempotency-Key must be 1-255 letters, digits or ._:- (a UUID is ideal)', { field: 'Idempotency-Key' });
    }
    // Keys are the caller's own: another principal's key never replays someone else's answer.
    const scope = `${req.principal?.id ?? 'anonymous'} ${req.method} ${req.url.split('?')[0]}`;
    const hash = createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    const claim = await store.claimIdempotent(scope, key, hash);
    switch (claim.state) {
      case 'new':
        req.idempotency = { scope, key };
        return;
      case 'in-progress':
        throw new ConflictError('a request with this Idempotency-Key is still being processed: retry in a moment');
      case 'mismatch':
        throw new IdempotencyMismatchError(
          'this Idempotency-Key was already used for a different request: use a new key for a new request',
        );
      case 'replay':
        return reply.code(claim.statusCode).header('idempotent-replayed', 'true').type('application/json').send(claim.body);
    }
  }

  async function remember(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    // Server-side failures are not remembered: the client's retry should run again, not replay the failure.
    if (reply.statusCode >= 500) await store.abandonIdempotent(idem.scope, idem.key);
    else await store.completeIdempotent(idem.scope, idem.key, reply.statusCode, keptAnswer(req, payload));
    return payload;
  }
}
