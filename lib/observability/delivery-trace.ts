import diagnostics from "node:diagnostics_channel";
import { webhookIdOf } from "../outbound/request-departures";

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
    const id = webhookIdOf((message as { request?: { headers?: unknown } }).request?.headers);
    if (id !== undefined) traceDelivery(id, "written");
  });
}
