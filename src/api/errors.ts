import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { InvalidInputError, TesseraError } from '../core/errors.js';
import { ProviderError } from '../providers/driver.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId: string };
}

function body(req: FastifyRequest, code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details ? { details } : {}), requestId: req.id } };
}

/** `body.requirements.vcpus` style paths, so the message points at the field to fix. */
function formatIssues(err: FastifyError): { message: string; issues: { path: string; message: string }[] } {
  const where = err.validationContext ?? 'request';
  const issues = (err.validation ?? []).map((v) => {
    const params = v.params as { issue?: { path?: PropertyKey[]; message?: string; keys?: string[] } } | undefined;
    const path = params?.issue?.path?.map(String).join('.') ?? v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    return { path: path ? `${where}.${path}` : where, message: v.message ?? 'is not valid' };
  });
  const message = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return { message: `invalid ${where}: ${message} — see GET /openapi.json for the expected shape`, issues };
}

/**
 * Every error leaves the API through here, mapped once to a status and a message that says what to fix.
 * A stack trace never reaches a client; unexpected errors are logged with the request id and answered 500.
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const { message, issues } = formatIssues(err);
    void reply.code(400).send(body(req, 'InvalidInput', message, { issues }));
    return;
  }
  if (err instanceof TesseraError) {
    void reply.code(err.status).send(body(req, err.code, err.message, err.details));
    return;
  }
  if (err instanceof ProviderError) {
    const status = err.errorClass === 'Invalid' ? 400 : err.errorClass === 'NotFound' ? 404 : 503;
    void reply.code(status).send(body(req, `Provider${err.errorClass}`, err.message));
    return;
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const known: Record<string, string> = {
      FST_ERR_CTP_INVALID_JSON_BODY: 'the request body is not valid JSON: send a JSON object with Content-Type: application/json',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'the request body is empty: send a JSON object with Content-Type: application/json',
      FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is too large (limit 1 MiB): send a smaller document',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type: send application/json',
      FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length header does not match the body',
    };
    const message = known[err.code] ?? (err.message || 'bad request');
    void reply.code(status).send(body(req, err.code ?? 'BadRequest', message));
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.code(500).send(body(req, 'Internal', `internal error: report request id ${req.id} to the operators`));
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply
    .code(404)
    .send(body(req, 'NotFound', `no route ${req.method} ${req.url.split('?')[0]}: see GET /openapi.json for the routes this server has`));
}

/** The router's own errors (before any route runs), answered in the API's error shape with the request id. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  void reply.header('x-request-id', req.id);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(404).send(body(req, 'NotFound', 'no such resource: a path segment is over 100 characters (ids look like i-3k9x0q2m7c1ab4de)'));
    return;
  }
  void reply.code(400).send(body(req, 'InvalidInput', 'the URL is not valid (bad percent-encoding): encode it with encodeURIComponent'));
}

/**
 * A NUL character can never be part of a name, id, label or cursor, and PostgreSQL text refuses it: it is
 * turned away at the door rather than deep in a query.
 */
export function rejectNulInQuery(req: FastifyRequest, done: (err?: Error) => void): void {
  const q = req.url.indexOf('?');
  const rest = q === -1 ? '' : req.url.slice(q);
  if (!rest.includes('\u0000') && !rest.toLowerCase().includes('%00')) return done();
  let field = 'querystring';
  try {
    for (const [key, value] of new URLSearchParams(req.url.slice(q + 1))) {
      if (key.includes('\u0000') || value.includes('\u0000')) {
        // A key that is not a plain word is quoted, so that even " " can be told apart in the message.
        const name = key.replaceAll('\u0000', '');
        field = `querystring.${/^[\w.-]+$/.test(name) ? name : JSON.stringify(name)}`;
        break;
      }
    }
  } catch {
    /* an unparseable query string is reported as a whole */
  }
  done(new InvalidInputError(`${field} contains a NUL character (%00): remove it`, { field }));
}
