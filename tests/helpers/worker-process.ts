import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Sends the signal and waits for the process to exit; resolves its exit code (null when killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A key shared by the test and its worker processes, so both can open the sites' sealed parameters. */
export const TEST_ENCRYPTION_KEY = randomBytes(32).toString("base64");

/** Runs `npm run worker`'s script (scripts/worker.ts) against a test database and waits until it is ready to deliver. */
export async function startWorkerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  // Node itself with tsx's loader (not the tsx launcher, which forks): signals reach the worker.
  // WORKER_NODE_ARGS (say "--cpu-prof --cpu-prof-dir=/tmp/prof"): Node options for the worker alone.
  const nodeArgs = process.env.WORKER_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", path.resolve("scripts/worker.ts")], {
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      SKIP_MIGRATIONS: "true",
      ALLOW_PRIVATE_TARGETS: "127.0.0.1",
      APP_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/\] [0-9a-f-]{36} ready/.test(output)) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`worker did not start within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
