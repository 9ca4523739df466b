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
  // When undici wrote the request's headers to the socket (its own diagnostics channel).
  diagnostics.subscribe("undici:client:sendHeaders", (message) => {
    const headers = (message as { headers?: unknown }).headers;
    const id = typeof headers === "string" ? /\r\nwebhook-id: ([^\r]+)/i.exec(`\r\n${headers}`)?.[1] : undefined;
    if (id) traceDelivery(id, "written");
  });
}
