import protobuf from 'protobufjs';
import type { ExportMetricsServiceRequest } from './otlp-messages.js';
import { OTLP_METRICS_PROTO } from './schema/otlp-metrics-proto.js';

/** The two OTLP/HTTP payload encodings; an answer is always in the encoding of its request. */
export type OtlpEncoding = 'protobuf' | 'json';

/** The payload cannot be decoded as an ExportMetricsServiceRequest (answered 400, never retried). */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

interface OtlpTypes {
  request: protobuf.Type;
  response: protobuf.Type;
  status: protobuf.Type;
}

let parsed: OtlpTypes | null = null;

/** The message types, parsed from the schema text on first use (a few milliseconds, once per process). */
function otlpTypes(): OtlpTypes {
  if (parsed) return parsed;
  const root = new protobuf.Root();
  for (const source of OTLP_METRICS_PROTO) protobuf.parse(source, root, { keepCase: false });
  root.resolveAll();
  parsed = {
    request: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
    status: root.lookupType('google.rpc.Status'),
  };
  return parsed;
}

/** The request message type itself, for measuring raw decoding against ingestion (bench/otlp.ts). */
export function exportRequestType(): protobuf.Type {
  return otlpTypes().request;
}

/** Decodes a request body (already decompressed). Throws OtlpDecodeError with what was wrong. */
export function decodeExportRequest(body: Uint8Array, encoding: OtlpEncoding): ExportMetricsServiceRequest {
  const { request } = otlpTypes();
  if (encoding === 'protobuf') {
    try {
      return request.decode(body) as unknown as ExportMetricsServiceRequest;
    } catch (e) {
      throw new OtlpDecodeError(`the body is not a protobuf-encoded ExportMetricsServiceRequest (${(e as Error).message})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new OtlpDecodeError(`the body is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OtlpDecodeError('the body must be a JSON object: an ExportMetricsServiceRequest such as {"resourceMetrics": [...]}');
  }
  hexIdsToBytes(json);
  try {
    // fromObject takes 64-bit integers as strings or numbers and enums as integers, ignores unknown fields, and
    // throws on a wrong structure (an object where a list belongs): what OTLP/JSON asks of a receiver.
    return request.fromObject(json) as unknown as ExportMetricsServiceRequest;
  } catch (e) {
    throw new OtlpDecodeError(`the body is not an OTLP/JSON ExportMetricsServiceRequest (${(e as Error).message})`);
  }
}

/** The answer to an accepted request: empty on full success, `partial_success` when points were refused or need a word. */
export function encodeExportResponse(partialSuccess: { rejectedDataPoints: number; errorMessage: string } | null, encoding: OtlpEncoding): Buffer {
  const { response } = otlpTypes();
  const message = response.fromObject(partialSuccess ? { partialSuccess } : {});
  if (encoding === 'protobuf') return Buffer.from(response.encode(message).finish());
  return Buffer.from(JSON.stringify(response.toObject(message, { longs: String, json: true })));
}

/** A google.rpc.Status: the body of every OTLP/HTTP failure (4xx, 5xx). */
export function encodeStatus(code: number, message: string, encoding: OtlpEncoding): Buffer {
  const { status } = otlpTypes();
  const value = status.fromObject({ code, message });
  if (encoding === 'protobuf') return Buffer.from(status.encode(value).finish());
  return Buffer.from(JSON.stringify(status.toObject(value, { json: true })));
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * OTLP/JSON writes trace and span ids as hex, where the proto3 JSON mapping (and protobufjs) would read base64:
 * exemplars' ids are turned into bytes before decoding. The structure is not trusted yet (fromObject checks it).
 */
function hexIdsToBytes(request: object): void {
  for (const rm of listAt(request, 'resourceMetrics')) {
    for (const sm of listAt(rm, 'scopeMetrics')) {
      for (const metric of listAt(sm, 'metrics')) {
        for (const kind of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) {
          const data = (metric as Record<string, unknown>)[kind];
          if (typeof data !== 'object' || data === null) continue;
          for (const point of listAt(data, 'dataPoints')) {
            for (const exemplar of listAt(point, 'exemplars')) {
              const ids = exemplar as Record<string, unknown>;
              for (const field of ['traceId', 'spanId']) {
                const id = ids[field];
                if (typeof id !== 'string') continue;
                if (!HEX.test(id)) throw new OtlpDecodeError(`an exemplar's ${field} must be hex-encoded (OTLP/JSON), got ${JSON.stringify(id.slice(0, 40))}`);
                ids[field] = Buffer.from(id, 'hex');
              }
            }
          }
        }
      }
    }
  }
}

function listAt(value: unknown, key: string): unknown[] {
  if (typeof value !== 'object' || value === null) return [];
  const list = (value as Record<string, unknown>)[key];
  return Array.isArray(list) ? list : [];
}
