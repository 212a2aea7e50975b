/**
 * Node's socket-level error codes for "the other end could not be reached or dropped us" (refused, reset,
 * aborted, timed out, no route, no such host): every driver reads them as Retryable. Each adds the codes of its
 * own client library (undici's, the Azure pipeline's, a missing docker socket).
 */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
