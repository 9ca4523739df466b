import { readEnv } from "../../lib/env";
import { startWebServer, type WebServer } from "../../tests/helpers/web-server";
import { startBenchDatabase, type BenchDatabase } from "./bench-database";
import { ensureBuild } from "./ensure-build";

export interface BuiltApp {
  database: BenchDatabase;
  /** `next start` of the build on this database (migrated already), with `env` added; stopped with the rest. */
  startServer(env?: Record<string, string>): Promise<WebServer>;
}

/**
 * The frame of the benches that run the app as users do: a production build (made when missing), a
 * PostgreSQL of their own (or DATABASE_URL), the server's last output when the bench fails, and
 * server and database stopped at the end, however it ends.
 */
export async function withBuiltApp(run: (app: BuiltApp) => Promise<void>): Promise<void> {
  ensureBuild();
  const database = await startBenchDatabase(readEnv().DATABASE_URL);
  let server: WebServer | undefined;
  const startServer = async (env: Record<string, string> = {}) => (server = await startWebServer({ DATABASE_URL: database.url, SKIP_MIGRATIONS: "1", ...env }));
  try {
    await run({ database, startServer });
  } catch (error) {
    if (server) console.error(`server output:\n${server.output().slice(-3000)}`);
    throw error;
  } finally {
    await server?.stop();
    await database.stop();
  }
}

/** Runs a bench's main: a failure is printed and makes the exit code 1. */
export function runBench(main: () => Promise<void>) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
