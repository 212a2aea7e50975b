import type { FastifyRequest } from 'fastify';
import type { ControlPlane } from './control-plane.js';

/**
 * The base URL of this server as its users reach it: the configured `publicUrl`, else the address of the
 * request (fine on a laptop or a loopback test; behind a proxy or in production, configure `publicUrl`, since a
 * request's Host header is the client's to choose).
 */
export function publicBaseUrl(cp: ControlPlane, req: FastifyRequest): string {
  return cp.publicUrl ?? `${req.protocol}://${req.host}`;
}
