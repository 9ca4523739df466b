import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./lib/db/schema.ts",
  out: "./drizzle",
  // Only `drizzle-kit studio`/`push` need a live database; `generate` works offline.
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://localhost/unused" },
  strict: true,
});
