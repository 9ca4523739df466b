import { spawnSync } from "node:child_process";
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

  it("waits for a lock file still being written (empty) instead of taking it too: regression, two starters both ran initdb", async () => {
    const lonely = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-embedded-lock-"));
    const lock = path.join(lonely, "pg.lock");
    try {
      await fs.writeFile(lock, ""); // another starter has just created it and not yet written its pid
      const starting = startEmbeddedPostgres(lonely);
      await new Promise((r) => setTimeout(r, 700));
      expect(await fs.readFile(lock, "utf8")).toBe("");

      const gone = spawnSync("true").pid!; // that starter died: its pid is no longer alive
      await fs.writeFile(lock, String(gone));
      const database = await starting;
      try {
        expect(database.startedHere).toBe(true);
      } finally {
        await database.stop();
      }
    } finally {
      await fs.rm(lonely, { recursive: true, force: true });
    }
  }, 120_000);

  it("leaves a process's exit code alone: regression, failed test runs exited 0", async () => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-embedded-exit-"));
    try {
      // A script that starts and stops the server, then ends by itself with exitCode 3, as vitest
      // does after a failed test. embedded-postgres' exit hook used to turn that into exit(0).
      const script = `
        import { startEmbeddedPostgres } from ${JSON.stringify(path.resolve("lib/db/embedded-postgres.ts"))};
        const database = await startEmbeddedPostgres(${JSON.stringify(scratch)});
        await database.stop();
        process.exitCode = 3;`;
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(3);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
