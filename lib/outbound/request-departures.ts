import diagnostics from "node:diagnostics_channel";

/**
 * When a webhook request actually left: the moment undici had written it to the socket (its
 * `undici:request:bodySent` diagnostics channel, published after the write, by the undici package and
 * by Node's own fetch alike; `undici:client:sendHeaders` comes before the write, and a process
 * descheduled in between made that up to tens of ms early). Pacing is accountable for this moment, not for when the send was handed to the HTTP
 * client: under load the write can come tens of milliseconds later (a starved event loop, a new
 * connection). Requests are told apart by their Webhook-Id header.
 */
const watchers = new Map<string, () => void>();
let subscribed = false;

function onRequestWritten(message: unknown) {
  if (watchers.size === 0) return;
  const id = webhookIdOf((message as { request?: { headers?: unknown } }).request?.headers);
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
    diagnostics.subscribe("undici:request:bodySent", onRequestWritten);
    subscribed = true;
  }
  watchers.set(webhookId, onDeparted);
  return {
    stop() {
      if (watchers.get(webhookId) === onDeparted) watchers.delete(webhookId);
    },
  };
}

/** The Webhook-Id of undici's request headers: a flat [name, value, …] array (a raw string in older versions). */
export function webhookIdOf(headers: unknown): string | undefined {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === "webhook-id") return String(headers[i + 1]);
    }
    return undefined;
  }
  if (typeof headers === "string") return /(?:^|\r\n)webhook-id: ?([^\r\n]+)/i.exec(headers)?.[1]?.trim();
  return undefined;
}
