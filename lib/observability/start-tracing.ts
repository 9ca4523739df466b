import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { Env } from "../env";

export interface Tracing {
  /** Exports the spans still buffered. */
  forceFlush(): Promise<void>;
  /** Exports the spans still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
 * OTLP exporter reads it, OTEL_EXPORTER_OTLP_HEADERS and the like itself), and flushes it on
 * SIGTERM. Unset, nothing is registered and the spans lib/ code makes are no-ops. `exporter`
 * replaces the OTLP one (tests).
 */
export function startTracing(env: Pick<Env, "OTEL_EXPORTER_OTLP_ENDPOINT" | "OTEL_SERVICE_NAME">, exporter?: SpanExporter): Tracing | null {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !exporter) return null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(exporter ?? new OTLPTraceExporter())],
  });
  provider.register();
  process.once("SIGTERM", () => void provider.shutdown().catch(() => {}));
  return provider;
}
