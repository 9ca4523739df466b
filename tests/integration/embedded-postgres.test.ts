import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "@/lib/db/embedded-postgres";

const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-embedded-"));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function query<T extends object>(url: string, text: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

describe("embedded PostgreSQL (the zero-setup default)", () => {
  it("is created on first use, shared by a second process, and keeps its data across restarts", async () => {
    // Two starters at once on an empty folder (e.g. the dev server and the worker): one server.
    const [first, second] = await Promise.all([startEmbeddedPostgres(dir), startEmbeddedPostgres(dir)]);
    expect(first.url).toBe(second.url);
    expect([first.startedHere, second.startedHere].sort()).toEqual([false, true]);
    const owner = first.startedHere ? first : second;

    await query(owner.url, "create table notes (body text); insert into notes values ('kept')");
    expect(new URL(owner.url).hostname).toBe("127.0.0.1");
    await first.stop();
    await second.stop();

    const restarted = await startEmbeddedPostgres(dir);
    try {
      expect(restarted.startedHere).toBe(true);
      expect(await query<{ body: string }>(restarted.url, "select body from notes")).toEqual([{ body: "kept" }]);
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});
