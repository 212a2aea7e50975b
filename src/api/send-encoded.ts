import type { FastifyReply } from 'fastify';

/**
 * Answers with JSON that is already encoded (a stored resource read as is). The route's response schema still
 * describes it for OpenAPI; the untyped reply is used because the typed one expects the decoded object.
 */
export function sendEncoded(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}
