import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as listSitesRoute } from "@/app/api/trusted-sites/route";
import { openDatabase } from "@/lib/db/client";
import { errorResponse } from "@/lib/http/api-route";
import { describeError } from "@/lib/logging/describe-error";
import { installSafeConsole } from "@/lib/logging/safe-console";
import { makeAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { freePort } from "../../helpers/web-server";

const MARKER = "payload-marker-7f3e";
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());
afterEach(() => vi.restoreAllMocks());

/** A real failure from PostgreSQL, wrapped by drizzle as every query error is: its message quotes the SQL and parameters. */
async function realQueryError(): Promise<Error> {
  try {
    await database.db.execute(sql`select ${`{"secret":"${MARKER}"}`}::jsonb -> 'x' -> ${MARKER}::int`);
  } catch (error) {
    return error as Error;
  }
  throw new Error("the query was expected to fail");
}

function captureConsole() {
  const lines: string[] = [];
  for (const level of ["error", "warn", "log"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

describe("an unexpected error in an API route", () => {
  it("answers 500 with an error id, and logs one line with route, id and class, never the query's data", async () => {
    const error = await realQueryError();
    expect(String((error as Error).message)).toContain(MARKER); // what drizzle would have printed
    const lines = captureConsole();
    const response = errorResponse(error, new Request("http://app.test/api/trusted-sites/1b4e28ba-2fa1-41d2-883f-0e1a4f6b5a2c", { method: "PATCH" }));
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body).toMatchObject({ code: "internal", errorId: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(JSON.stringify(body)).not.toContain(MARKER);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`error ${body.errorId} in PATCH /api/trusted-sites/:id: DrizzleQueryError ← PostgresError 22P02`);
    expect(lines.join("\n")).not.toContain(MARKER);
  });

  it("names other errors with their message, which carries no query data", () => {
    expect(describeError(new TypeError("x is not a function"))).toBe("TypeError: x is not a function");
  });
});

describe("the server log", () => {
  it("prints a database error that a page throws as its classes and codes only", async () => {
    const error = Object.assign(await realQueryError(), { digest: "12345" });
    const written: unknown[][] = [];
    const target = { error: (...a: unknown[]) => written.push(a), warn() {}, log() {}, info() {}, debug() {} } as unknown as Console;
    installSafeConsole(target);
    target.error(" ⨯", error);
    expect(written).toHaveLength(1);
    const line = written[0]!.map(String).join(" ");
    expect(line).toMatch(/DrizzleQueryError ← PostgresError 22P02 \[digest 12345\]/);
    expect(line).not.toContain(MARKER);
    expect(line).not.toContain("select");
  });
});

describe("while PostgreSQL is unreachable", () => {
  it("API routes answer 503 with Retry-After, not 500", async () => {
    const closed = openDatabase(`postgres://nobody@127.0.0.1:${await freePort()}/none`, { max: 1 });
    makeAppDatabase({ ...database, db: closed.db, sql: closed.sql });
    const lines = captureConsole();
    try {
      const response = await listSitesRoute(
        new Request("http://app.test/api/trusted-sites", { headers: { authorization: "Bearer tsw_whatever-token-000000000000000000" } }),
        { params: Promise.resolve({}) },
      );
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(await response.json()).toMatchObject({ code: "database_unavailable" });
      expect(lines).toEqual(["database unavailable in GET /api/trusted-sites: answered 503"]);
    } finally {
      await closed.close();
    }
  });
});
