import { randomUUID } from 'node:crypto';
import { sleep } from './sleep.js';

/** Where the CLI finds the API when neither `--url` nor TESSERA_URL says otherwise. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export type Query = Record<string, string | number | boolean | undefined>;

/** The API answered with an error; the message is the server's own, with code, status and request id to quote. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
    readonly requestId?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${serverMessage} (${code}, HTTP ${status}${requestId ? `, request ${requestId}` : ''})`);
  }
}

/** Nothing answers at the base URL: usually no server is running yet. */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(
      `the Tessera server at ${baseUrl} is not reachable (${reason}): start one with "tessera server" ` +
        '(or "npm start" in a checkout), or point --url / TESSERA_URL at a running server',
    );
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  /** Pauses before each retry of a transient failure; its length is the number of retries. */
  retryDelaysMs?: readonly number[];
}

/** Socket errors that mean "nobody is there", as opposed to "the connection broke half-way". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Gateway and overload answers worth one more try; the Idempotency-Key makes a repeated POST safe. */
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
}

/** A small fetch-based client for the Tessera REST API (/v1). */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.retryDelaysMs = options.retryDelaysMs ?? [300, 1000];
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.json<T>('GET', path, { query, signal });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.json<T>('DELETE', path, {});
  }

  /** Opens a long-lived GET (the SSE watch); the caller reads the body and aborts `signal` to close it. */
  openStream(path: string, query: Query, signal: AbortSignal): Promise<Response> {
    return this.send('GET', path, { query, signal, accept: 'text/event-stream' });
  }

  private async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(
        `the server at ${this.baseUrl} answered ${method} ${path} with something that is not JSON; ` +
          'check that --url / TESSERA_URL points at a Tessera API server',
      );
    }
  }

  /** Sends one request, retrying transient failures; resolves only with a 2xx response. */
  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = this.baseUrl + path + queryString(options.query);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    // One key for all attempts of this request: the server replays the first answer instead of acting twice.
    if (method === 'POST') headers['idempotency-key'] = randomUUID();
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }

    for (let attempt = 0; ; attempt++) {
      const retryDelay = this.retryDelaysMs[attempt];
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal: options.signal });
      } catch (error) {
        // fetch() reports every network failure as a TypeError; anything else (an abort) is not ours to explain.
        if (options.signal?.aborted || !(error instanceof TypeError)) throw error;
        const code = socketErrorCode(error);
        if (code === undefined || UNREACHABLE_CODES.has(code)) {
          throw new ServerUnreachableError(this.baseUrl, code ? describeSocketError(code) : fetchFailureReason(error));
        }
        if (retryDelay === undefined) {
          throw new Error(`the connection to the Tessera server at ${this.baseUrl} failed (${code}); try again`);
        }
        await sleep(retryDelay, options.signal);
        continue;
      }
      if (response.ok) return response;
      if (RETRYABLE_STATUSES.has(response.status) && retryDelay !== undefined) {
        await response.body?.cancel();
        await sleep(retryDelay, options.signal);
        continue;
      }
      throw await this.errorFrom(response);
    }
  }

  private async errorFrom(response: Response): Promise<ApiError> {
    const text = await response.text().catch(() => '');
    const envelope = parseErrorEnvelope(text);
    if (envelope) {
      let message = envelope.message;
      if (response.status === 401 && !this.token) message += '; sign in with tessera login (or set TESSERA_TOKEN to an API token)';
      return new ApiError(response.status, envelope.code, message, envelope.requestId, envelope.details);
    }
    // Not Tessera's error shape (a proxy, or another service on this port): quote the start of what came back.
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    const message = `the server answered ${response.status} ${response.statusText}${snippet ? `: ${snippet}` : ''}`;
    return new ApiError(response.status, `HTTP${response.status}`, message);
  }
}

interface ErrorEnvelope {
  code: string;
  message: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

function parseErrorEnvelope(text: string): ErrorEnvelope | undefined {
  try {
    const error = (JSON.parse(text) as { error?: Partial<ErrorEnvelope> }).error;
    if (typeof error?.message !== 'string') return undefined;
    return {
      code: typeof error.code === 'string' ? error.code : 'Error',
      message: error.message,
      requestId: typeof error.requestId === 'string' ? error.requestId : undefined,
      details: error.details,
    };
  } catch {
    return undefined;
  }
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** fetch() reports socket failures as `TypeError('fetch failed')` with the system error as its cause. */
function socketErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('UND_ERR'))) return code;
    current = current.cause;
  }
  return undefined;
}

/** fetch() refuses some requests before any socket exists (a port on its blocked list, a bad URL): say why. */
function fetchFailureReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function describeSocketError(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    default:
      return code;
  }
}
