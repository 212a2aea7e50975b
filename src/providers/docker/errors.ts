import { ProviderError, type ErrorClass } from '../driver.js';
import { SOCKET_ERROR_CODES } from '../socket-errors.js';

/**
 * Maps what dockerode throws to Tessera's error classes. Two shapes arrive: a socket error (`code` such as
 * ENOENT or ECONNREFUSED: the engine is not there) and an HTTP answer (`statusCode`, with the engine's own
 * words in `json.message`).
 */

/** Where a failed call was going and what it was for, so every message names the host and the action. */
export interface EngineCallContext {
  provider: string;
  host: string;
  /** How the host is reached, e.g. `unix:///var/run/docker.sock` or `tcp://10.0.0.5:2376`. */
  endpoint: string;
  /** What was being done, e.g. `create container tessera-web-1-abcd1234`. */
  action: string;
}

interface DockerodeError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: unknown;
}

/**
 * Socket-level failures: the engine is down, restarting, unreachable or too slow right now (ECONNRESET is also
 * a request timeout here: docker-modem destroys the socket).
 */
const UNREACHABLE_CODES = new Set([
  ...SOCKET_ERROR_CODES,
  'ENOENT', // no socket file: dockerd is not running
]);

export function statusOf(e: unknown): number | undefined {
  return (e as DockerodeError | null)?.statusCode;
}

/** The engine's own explanation (`{"message": …}`), else the client's. */
export function engineMessage(e: unknown): string {
  const err = e as DockerodeError | null;
  const json = err?.json as { message?: unknown } | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  return err?.message?.trim() || String(e);
}

export function classifyEngineError(e: unknown, ctx: EngineCallContext): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (e ?? {}) as DockerodeError;
  const make = (cls: ErrorClass, code: string, message: string) => new ProviderError(cls, message, ctx.provider, code);
  const where = `docker host '${ctx.host}' (${ctx.endpoint})`;

  const code = err.code ?? '';
  if (UNREACHABLE_CODES.has(code) || /socket hang up/i.test(err.message ?? '')) {
    return make('Retryable', 'EngineUnreachable', `${where} could not be reached to ${ctx.action} (${code || err.message}): check that dockerd runs and listens there; Tessera retries`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return make(
      'Retryable',
      'EnginePermissionDenied',
      `${where} refused Tessera's connection to ${ctx.action} (${code}): give the user running Tessera access to the socket (e.g. the docker group)`,
    );
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_OSSL/i.test(code)) {
    return make(
      'Retryable',
      'EngineTlsFailed',
      `${where}: the TLS handshake failed while trying to ${ctx.action} (${code}: ${err.message}): check the provider's tls.ca, tls.cert and tls.key against the engine's --tlscacert/--tlscert`,
    );
  }

  const status = err.statusCode;
  const said = engineMessage(e);
  if (status === undefined) {
    return make('Retryable', 'EngineError', `${where} failed to ${ctx.action}: ${said}; Tessera retries`);
  }
  if (status === 404) return make('NotFound', 'NoSuchContainer', `${where} has no such container to ${ctx.action}: ${said}`);
  if (status === 409) return make('Invalid', 'Conflict', `${where} refused to ${ctx.action}: ${said}`);
  if (status === 400 && /HTTP request to an HTTPS server/i.test(said)) {
    return make('Retryable', 'EngineNeedsTls', `${where} answers only over TLS: give this host tls {ca, cert, key} in the provider's configuration`);
  }
  if (status === 400) return make('Invalid', 'BadParameter', `${where} refused to ${ctx.action} as invalid: ${said}; check the flavor, image and network asked for`);
  if (status === 401 || status === 403) {
    return make('Invalid', 'Forbidden', `${where} does not allow Tessera to ${ctx.action}: ${said}; check the engine's authorization plugin`);
  }
  if (status === 429) return make('Retryable', 'TooManyRequests', `${where} asked Tessera to slow down while trying to ${ctx.action}: ${said}`);
  return make('Retryable', 'EngineError', `${where} failed to ${ctx.action} (HTTP ${status}): ${said}; Tessera retries`);
}
