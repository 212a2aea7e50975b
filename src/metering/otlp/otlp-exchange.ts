import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { decodeExportRequest, encodeExportResponse, encodeStatus, OtlpDecodeError, type OtlpEncoding } from './otlp-codec.js';
import { AttributionUnavailableError, type OtlpCaller, type OtlpMetering } from './otlp-metering.js';
import { describeRejections } from './rejection.js';

/** What an OTLP/HTTP export request brings, as far as the protocol cares (the body already read, not yet inflated). */
export interface OtlpExportRequest {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  body: Buffer;
}

export interface OtlpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The OTLP specification's recommended limit on a request body, after decompression too. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** google.rpc.Code for each failure status (the specification lets clients ignore it; it helps in their logs). */
const RPC_CODES: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

const inflate = promisify(gunzip);

/** The encoding a Content-Type asks for, or null when it is not one of OTLP/HTTP's. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | null {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

/** A failure answer: a google.rpc.Status in the request's encoding, whose message says what to do. */
export function failureAnswer(status: number, message: string, encoding: OtlpEncoding, headers: Record<string, string> = {}): OtlpAnswer {
  return { status, headers: { 'content-type': CONTENT_TYPES[encoding], ...headers }, body: encodeStatus(RPC_CODES[status] ?? 2, message, encoding) };
}

/**
 * Answers one export request the way the OTLP/HTTP specification says: 415 for a payload that is not OTLP, 503 with
 * Retry-After while overloaded, 413 when it inflates past the limit, 400 when it cannot be decoded (never retried),
 * else 200 with an ExportMetricsServiceResponse carrying partial_success when points were refused.
 */
export async function answerExport(metering: OtlpMetering, req: OtlpExportRequest, caller: OtlpCaller, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): Promise<OtlpAnswer> {
  const encoding = encodingOf(req.contentType);
  if (encoding === null) {
    return failureAnswer(415, `Content-Type ${JSON.stringify(req.contentType ?? '')} is not an OTLP encoding: send application/x-protobuf or application/json`, 'json');
  }
  const busy = metering.admission();
  if (busy) return failureAnswer(503, busy.message, encoding, { 'retry-after': String(busy.retryAfterSeconds) });

  const contentEncoding = req.contentEncoding?.trim().toLowerCase() ?? '';
  let body = req.body;
  if (contentEncoding === 'gzip') {
    try {
      body = await inflate(req.body, { maxOutputLength: maxBodyBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return failureAnswer(413, `the body inflates to more than ${maxBodyBytes} bytes: send smaller batches`, encoding);
      }
      return failureAnswer(400, `the body is not valid gzip (${(e as Error).message}): compress it with gzip, or send it uncompressed without Content-Encoding`, encoding);
    }
  } else if (contentEncoding !== '' && contentEncoding !== 'identity') {
    return failureAnswer(415, `Content-Encoding ${JSON.stringify(req.contentEncoding)} is not supported: send gzip, or no Content-Encoding`, encoding);
  }

  let request;
  try {
    request = decodeExportRequest(body, encoding);
  } catch (e) {
    if (e instanceof OtlpDecodeError) return failureAnswer(400, e.message, encoding);
    throw e;
  }
  let outcome;
  try {
    outcome = await metering.ingest(request, caller);
  } catch (e) {
    // Nothing was taken, so a retry is safe (and 503 tells the sender to retry).
    if (e instanceof AttributionUnavailableError) return failureAnswer(503, `${e.message}: send again shortly`, encoding, { 'retry-after': '5' });
    throw e;
  }
  const warnings =
    outcome.unbucketedHistogramPoints > 0
      ? [`${outcome.unbucketedHistogramPoints} histogram points came with other bucket bounds than others of their hour: an hour keeps one layout (the finer), the rest count as unbucketed (count, sum, min and max are kept)`]
      : [];
  const rejected = outcome.rejections.total;
  const partialSuccess =
    rejected > 0 || warnings.length > 0 ? { rejectedDataPoints: rejected, errorMessage: describeRejections(outcome.rejections.list(), outcome.points, warnings) } : null;
  return { status: 200, headers: { 'content-type': CONTENT_TYPES[encoding] }, body: encodeExportResponse(partialSuccess, encoding) };
}
