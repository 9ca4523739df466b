import diagnostics from "node:diagnostics_channel";

/**
 * Timestamps along one delivery's path, for finding where an idle message's latency goes
 * (bench:delivery's idle latency phase sets DELIVERY_TRACE=1 on its worker). Off by default, and
 * then free. Each line names the message id, a stage and the time (ms since epoch, sub-millisecond):
 * never request data.
 */
const enabled = process.env.DELIVERY_TRACE === "1";

export function traceDelivery(messageId: string, stage: string): void {
  if (!enabled) return;
  process.stdout.write(`[delivery-trace] ${messageId} ${stage} ${(performance.timeOrigin + performance.now()).toFixed(2)}\n`);
}

if (enabled) {
  // When undici had written the request to the socket (its own diagnostics channel).
  diagnostics.subscribe("undici:request:bodySent", (message) => {
    const headers = (message as { request?: { headers?: unknown } }).request?.headers;
    const at = Array.isArray(headers) ? headers.findIndex((h, i) => i % 2 === 0 && String(h).toLowerCase() === "webhook-id") : -1;
    if (at >= 0) traceDelivery(String((headers as unknown[])[at + 1]), "written");
  });
}
