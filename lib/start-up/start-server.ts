import { getDatabase } from "../db";
import { getBackofficeAuth } from "../backoffice-auth";
import { provisionFirstUser } from "../backoffice-auth/first-user";
import { readEnv } from "../env";
import type { StartedDatabase } from "../db/start";

const cache = globalThis as unknown as { tswWorkerStarted?: boolean };

/** The local delivery worker runs with the server (once per process), and stops with it on SIGTERM. */
async function startWorkerInServer(database: StartedDatabase) {
  if (cache.tswWorkerStarted) return;
  cache.tswWorkerStarted = true;
  const { startConfiguredWorker } = await import("../delivery/local/start-configured-worker");
  const worker = startConfiguredWorker(database);
  process.once("SIGTERM", () => void worker.stop(10_000));
}
import { secrets } from "../secrets";

/**
 * The web server's start-up, above the database, auth and delivery layers (instrumentation.ts calls
 * it): starts the database when the web server starts (embedded PostgreSQL unless DATABASE_URL is
 * set), applies migrations and makes sure a first user exists; a broken configuration stops the
 * server with one clear line.
 */
export async function startServerDatabase(): Promise<void> {
  try {
    const env = readEnv();
    secrets(); // a malformed APP_ENCRYPTION_KEY stops start-up here, not at the first save
    const database = await getDatabase();
    if (env.WEBHOOK_ENGINE === "local" && env.WORKER_IN_SERVER) await startWorkerInServer(database);
    const note = await provisionFirstUser(await getBackofficeAuth(), env);
    if (note) console.log(note);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
