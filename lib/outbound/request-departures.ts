import diagnostics from "node:diagnostics_channel";

/**
 * When a webhook request actually left: the moment undici wrote its headers to the socket (its
 * `undici:client:sendHeaders` diagnostics channel, published by the undici package and by Node's own
 * fetch alike). Pacing is accountable for this moment, not for when the send was handed to the HTTP
 * client: under load the write can come tens of milliseconds later (a starved event loop, a new
 * connection). Requests are told apart by their Webhook-Id header.
 */
const watchers = new Map<string, () => void>();
let subscribed = false;

function onHeadersWritten(message: unknown) {
  if (watchers.size === 0) return;
  const headers = (message as { headers?: unknown }).headers;
  if (typeof headers !== "string") return;
  const id = /(?:^|\r\n)webhook-id: ?([^\r\n]+)/i.exec(headers)?.[1]?.trim();
  const watcher = id === undefined ? undefined : watchers.get(id);
  if (!watcher) return;
  watchers.delete(id!);
  watcher();
}

/**
 * Calls `onDeparted` (synchronously, so the caller reads its clock right then) when the request with
 * this Webhook-Id is written, once; `stop()` stops watching (a request never written calls nothing).
 */
export function watchDeparture(webhookId: string, onDeparted: () => void): { stop(): void } {
  if (!subscribed) {
    diagnostics.subscribe("undici:client:sendHeaders", onHeadersWritten);
    subscribed = true;
  }
  watchers.set(webhookId, onDeparted);
  return {
    stop() {
      if (watchers.get(webhookId) === onDeparted) watchers.delete(webhookId);
    },
  };
}
