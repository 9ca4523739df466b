/**
 * The ceiling: a plain HTTP client posting to the receiver with a fixed number of requests in
 * flight, in its own process like the worker. It uses undici `request` over one keep-alive
 * connection per request in flight, as the worker's guarded client does (`fetch` costs several
 * times more CPU per request and read as a ceiling below what the senders reach). Prints one JSON line.
 * Usage: plain-client.ts <url> <concurrency> <durationMs>
 */
import { Agent, request } from "undici";

const [url, concurrencyArg, durationArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const durationMs = Number(durationArg);
const dispatcher = new Agent({ connections: concurrency });
const body = JSON.stringify({ action: "bench.tick", customerId: "00000000-0000-0000-0000-000000000000", payload: { n: 1 } });

let requests = 0;
const started = performance.now();
const deadline = started + durationMs;
async function loop() {
  while (performance.now() < deadline) {
    const response = await request(url!, { method: "POST", body, headers: { "content-type": "application/json" }, dispatcher });
    await response.body.text();
    requests++;
  }
}
await Promise.all(Array.from({ length: concurrency }, loop));
const elapsedMs = performance.now() - started;
await dispatcher.close();
const cpu = process.cpuUsage();
console.log(JSON.stringify({ requests, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
