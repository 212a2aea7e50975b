import type { Meter } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter as JsonExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { JsonMetricsSerializer, ProtobufMetricsSerializer, type IExportMetricsServiceResponse } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type AggregationTemporality,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/**
 * The official OpenTelemetry JS SDK as a Tessera user runs it: a MeterProvider whose PeriodicExportingMetricReader
 * sends through the OTLP exporter (protobuf, or JSON), exporting when a test says so.
 */
export interface SdkClient {
  meter: Meter;
  /** Collects and exports now; the exporter's result (SUCCESS even with a partial success, FAILED on 4xx). */
  export(): Promise<ExportResult>;
  shutdown(): Promise<void>;
}

export interface SdkClientOptions {
  url: string;
  token?: string;
  encoding: 'protobuf' | 'json';
  resource: Record<string, string>;
  gzip?: boolean;
  delta?: boolean;
}

export function sdkClient(opts: SdkClientOptions): SdkClient {
  const common = {
    url: `${opts.url}/v1/metrics`,
    headers: (opts.token ? { Authorization: `Bearer ${opts.token}` } : {}) as Record<string, string>,
    compression: opts.gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    temporalityPreference: opts.delta ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE,
    timeoutMillis: 5_000,
  };
  const exporter = new RecordingExporter(opts.encoding === 'protobuf' ? new ProtoExporter(common) : new JsonExporter(common));
  // Exports only when asked (forceFlush): the interval is longer than any test.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes(opts.resource), readers: [reader] });
  return {
    meter: provider.getMeter('tessera-test'),
    async export() {
      exporter.results.length = 0;
      await provider.forceFlush();
      const result = exporter.results[0];
      if (!result) throw new Error('the SDK exported nothing: record a measurement first');
      return result;
    },
    shutdown: () => provider.shutdown(),
  };
}

export { ExportResultCode };

/** Passes everything to the real exporter and keeps what each export came to (the reader itself swallows it). */
class RecordingExporter implements PushMetricExporter {
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: PushMetricExporter) {}
  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      this.results.push(result);
      done(result);
    });
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.inner.selectAggregationTemporality!(instrumentType);
  }
}

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * One export request's body as the SDK encodes it (its own serializers), for requests a test sends itself: one
 * ResourceMetrics per resource, each with what `record` measures.
 */
export async function sdkRequestBody(
  encoding: 'protobuf' | 'json',
  resources: Record<string, string>[],
  record: (meter: Meter, resourceIndex: number) => void,
): Promise<Buffer> {
  const bodies: Buffer[] = [];
  const json: unknown[] = [];
  for (const [i, attributes] of resources.entries()) {
    const reader = new ManualReader();
    const provider = new MeterProvider({ resource: resourceFromAttributes(attributes), readers: [reader] });
    record(provider.getMeter('tessera-test'), i);
    const { resourceMetrics } = await reader.collect();
    if (encoding === 'protobuf') bodies.push(Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!));
    else json.push(...(JSON.parse(Buffer.from(JsonMetricsSerializer.serializeRequest(resourceMetrics)!).toString()) as { resourceMetrics: unknown[] }).resourceMetrics);
    await provider.shutdown();
  }
  // Concatenated protobuf messages are one message whose repeated field holds them all.
  return encoding === 'protobuf' ? Buffer.concat(bodies) : Buffer.from(JSON.stringify({ resourceMetrics: json }));
}

/** An answer body read the way the SDK reads it. */
export function sdkResponse(encoding: 'protobuf' | 'json', body: Uint8Array): IExportMetricsServiceResponse {
  return encoding === 'protobuf' ? ProtobufMetricsSerializer.deserializeResponse(body) : JsonMetricsSerializer.deserializeResponse(body);
}
