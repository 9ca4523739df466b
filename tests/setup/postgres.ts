import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { migrateDatabase } from "../../lib/db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    /** A database on the test server from which test databases are created (and dropped). */
    adminDatabaseUrl: string;
    /** A migrated database that every test database is copied from. */
    templateDatabase: string;
  }
}

/**
 * One PostgreSQL for the whole run: TEST_DATABASE_URL when set (its user needs CREATEDB),
 * else an embedded server in a temporary folder. Migrations run once, into a template database.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stopEmbedded = async () => {};
  let tempDir: string | undefined;
  if (!adminUrl) {
    tempDir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-test-pg-"));
    const embedded = await startEmbeddedPostgres(tempDir);
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const template = `tsw_template_${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${template}`);
  await migrateDatabase(withDatabase(adminUrl, template));

  project.provide("adminDatabaseUrl", adminUrl);
  project.provide("templateDatabase", template);

  return async () => {
    // Drop what this run created (matters when TEST_DATABASE_URL is a shared server).
    const leftovers = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like 'tsw_test_%' or datname = ${template}`;
    for (const { datname } of leftovers) {
      await admin.unsafe(`drop database if exists ${datname} with (force)`);
    }
    await admin.end({ timeout: 5 });
    await stopEmbedded();
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
