import { execFile } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { readEnv } from "@/lib/env";
import { DatabaseUnavailableError, startDatabase } from "@/lib/db/start";
import { withDatabase } from "../setup/postgres";

const run = promisify(execFile);
const PASSWORD = "not-the-real-password-9f3";

function brokenUrl(change: (u: URL) => void) {
  const u = new URL(inject("adminDatabaseUrl"));
  change(u);
  return u.toString();
}

async function closedPort() {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startupError(url: string) {
  const error = await startDatabase(readEnv({ DATABASE_URL: url })).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseUnavailableError);
  const message = (error as Error).message;
  expect(message).not.toContain("\n");
  expect(message).not.toContain(PASSWORD);
  return message;
}

describe("start-up with a broken DATABASE_URL", () => {
  it("names an unknown host", async () => {
    const url = brokenUrl((u) => ((u.hostname = "no-such-host.invalid"), (u.password = PASSWORD)));
    expect(await startupError(url)).toMatch(/host "no-such-host.invalid" was not found/);
  });

  it("names a host:port where nothing listens", async () => {
    const port = await closedPort();
    const url = brokenUrl((u) => ((u.port = String(port)), (u.password = PASSWORD)));
    expect(await startupError(url)).toMatch(new RegExp(`nothing is listening at 127.0.0.1:${port}`));
  });

  it("names a failed login without repeating the password", async () => {
    const url = brokenUrl((u) => (u.password = PASSWORD));
    expect(await startupError(url)).toMatch(/refused the login for user "postgres"/);
  });

  it("names a missing database", async () => {
    const url = withDatabase(inject("adminDatabaseUrl"), "no_such_database");
    expect(await startupError(url)).toMatch(/has no database "no_such_database"/);
  });

  it("makes `npm run db:migrate` print one line and exit 1", async () => {
    const port = await closedPort();
    const url = brokenUrl((u) => ((u.port = String(port)), (u.password = PASSWORD)));
    const tsx = path.resolve("node_modules/.bin/tsx");
    const result = await run(tsx, ["scripts/migrate.ts"], { env: { ...process.env, DATABASE_URL: url } }).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(result?.code).toBe(1);
    const lines = result!.stderr.trim().split("\n");
    expect(lines).toEqual([expect.stringMatching(/^error: Cannot reach PostgreSQL: nothing is listening/)]);
    expect(result!.stderr + result!.stdout).not.toContain(PASSWORD);
  });
});

describe("start-up with a working DATABASE_URL", () => {
  it("connects, migrates and answers queries", async () => {
    const database = await startDatabase(readEnv({ DATABASE_URL: withDatabase(inject("adminDatabaseUrl"), inject("templateDatabase")) , SKIP_MIGRATIONS: "1" }));
    try {
      const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from trusted_sites`;
      expect(row!.n).toBe(0);
      expect(database.embedded).toBeNull();
    } finally {
      await database.close();
    }
  });
});
