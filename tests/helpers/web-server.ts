import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

export interface WebServer {
  url: string;
  /** The `next start` process (the root of the server's process tree). */
  pid: number;
  /** Everything the server printed, for assertions about its logs. */
  output(): string;
  /** SIGTERM, as a service manager or Ctrl-C would, and wait for the process to end. */
  stop(): Promise<void>;
}

/** The first user every test server creates at start-up (ADMIN_EMAIL / ADMIN_PASSWORD). */
export const TEST_ADMIN = { email: "operator@example.com", password: "correct horse battery staple" };

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts the built app (`next start`) with the given environment and waits until it answers. */
export async function startWebServer(env: Record<string, string>): Promise<WebServer> {
  const port = await freePort();
  const child = spawn(path.resolve("node_modules/.bin/next"), ["start", "-p", String(port), "-H", "127.0.0.1"], {
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: "production",
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      AUTH_SECRET: "test-only-auth-secret-0123456789abcdef",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: `next start` runs the server in a child process, and the embedded
    // PostgreSQL is a grandchild; stopping the group stops them all, as Ctrl-C does in a terminal.
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(url, child, () => output);
  return {
    url,
    pid: child.pid!,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(`${url}/trusted-sites`, { redirect: "manual" });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  signalGroup(child, "SIGKILL");
  throw new Error(`server did not answer within 60 s:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  signalGroup(child, "SIGTERM");
  const deadline = Date.now() + 15_000;
  while (groupAlive(child)) {
    if (Date.now() > deadline) signalGroup(child, "SIGKILL");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess) {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signs the test server's first user in over HTTP and returns the session cookie to send, for plain fetch requests. */
export async function signInCookie(url: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify(TEST_ADMIN),
  });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status}`);
  return response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}
