/**
 * The pacing phase's receiver, in a process of its own, in a session of its own at raised priority
 * (its own scheduler autogroup at nice −10, where allowed). It stands for a site on another machine:
 * its clock must not be starved by the load on the sender's, or the receiver's own scheduling delay
 * would be counted as the sender's. With autogroups (Linux's default for sessions) a nice value only
 * weighs within its session, and on a shared machine the bench's whole session stalls for 40–160 ms
 * at a time: a receiver inside it stamped requests that long after they were written. It answers 200 at once and stamps each request
 * (Date.now()) when its body has arrived, as scripts/bench/loopback-receiver.ts does.
 * Run as a script it is the child; startReceiverProcess() starts it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import fs from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";

export interface ReceiverProcess {
  url: string;
  /** Whether it runs at raised priority. */
  raised: boolean;
  arrivals(path: string): Promise<{ times: number[]; ids: string[] }>;
  stop(): Promise<void>;
}

export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    detached: true, // a session of its own: its own autogroup
  });
  let raised = true;
  try {
    os.setPriority(child.pid!, -10);
    await fs.writeFile(`/proc/${child.pid}/autogroup`, "-10").catch(() => {});
  } catch {
    raised = false;
  }
  const replies: ((message: unknown) => void)[] = [];
  child.on("message", (message) => replies.shift()?.(message));
  const ask = <T>(request: object) => new Promise<T>((resolve) => (replies.push(resolve as (m: unknown) => void), child.send(request)));
  const { port } = await new Promise<{ port: number }>((resolve) => replies.push(resolve as (m: unknown) => void));
  return {
    url: `http://127.0.0.1:${port}`,
    raised,
    arrivals: (path) => ask({ path }),
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

function serve() {
  const times = new Map<string, number[]>();
  const ids = new Map<string, string[]>();
  const server = http.createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      const at = Date.now();
      const path = req.url ?? "/";
      (times.get(path) ?? times.set(path, []).get(path)!).push(at);
      const id = req.headers["webhook-id"];
      if (typeof id === "string") (ids.get(path) ?? ids.set(path, []).get(path)!).push(id);
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" }).end("ok");
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on("message", ({ path }: { path: string }) => process.send!({ times: times.get(path) ?? [], ids: ids.get(path) ?? [] }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve();
