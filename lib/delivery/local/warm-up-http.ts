import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, fetch } from "undici";

/**
 * Sends two requests to a throwaway server on loopback, so the HTTP client's one-time set-up (the
 * parser's WebAssembly, fetch internals: some 30–100 ms on a busy machine) happens before the first
 * delivery. Otherwise that first send reaches its receiver late and crowds the next one's pacing.
 */
export async function warmUpHttp(): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agent = new Agent();
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (let i = 0; i < 2; i++) {
      const response = await fetch(url, { method: "POST", body: "{}", dispatcher: agent, signal: AbortSignal.timeout(5_000) });
      await response.text();
    }
  } finally {
    await agent.close();
    server.closeAllConnections();
    server.close();
  }
}
