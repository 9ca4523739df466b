import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type postgres from "postgres";
import { migrationsFolder } from "@/lib/db/migrate";

/**
 * Applies the migrations before the one tagged `tag` (not it, nor any after), as a database made
 * before it was written has them: a test then fills in rows and runs the rest to see they survive.
 */
export async function migrateBefore(sql: postgres.Sql, tag: string): Promise<void> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "migrations-"));
  try {
    await cp(migrationsFolder, folder, { recursive: true });
    const journalFile = path.join(folder, "meta", "_journal.json");
    const journal = JSON.parse(await readFile(journalFile, "utf8")) as { entries: { tag: string }[] };
    const at = journal.entries.findIndex((e) => e.tag === tag);
    if (at < 0) throw new Error(`no migration tagged ${tag}`);
    journal.entries = journal.entries.slice(0, at);
    await writeFile(journalFile, JSON.stringify(journal));
    await migrate(drizzle(sql), { migrationsFolder: folder });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
