import path from "node:path";
import { z } from "zod";

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Any PostgreSQL; when unset an embedded PostgreSQL is started in DATA_DIR. */
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .optional()
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message: "must start with postgres:// or postgresql://",
    }),
  /** Where the embedded PostgreSQL keeps its files (git-ignored). */
  DATA_DIR: z.string().default(".data"),
  WEBHOOK_ENGINE: z.enum(["local", "inngest"]).default("local"),
  /**
   * Outbound requests (webhooks, token endpoints) refuse loopback, private, link-local and
   * metadata addresses unless listed here: comma-separated IPs or CIDR ranges, e.g.
   * "127.0.0.0/8,::1" for local development and tests.
   */
  ALLOW_PRIVATE_TARGETS: z.string().default(""),
  /** Secret for signing session cookies (32+ characters). A generated key file in DATA_DIR is the local default. */
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** The public origin of the app (e.g. https://webhooks.example.com); defaults to http://localhost:3000. */
  APP_URL: z.url().optional(),
  /** The first backoffice user, created at start-up when no user exists yet. */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  /** Skip applying migrations at server start-up (when a deploy step runs `npm run db:migrate`). */
  SKIP_MIGRATIONS: z
    .enum(["0", "1", "true", "false"])
    .default("false")
    .transform((v) => v === "1" || v === "true"),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The validated environment. Read it through this function, never `process.env` directly. */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(source).filter(([, v]) => v !== "")),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join(".")} ${issue.message}`);
  }
  return parsed.data;
}

export function dataDir(env: Env = readEnv()): string {
  return path.resolve(/*turbopackIgnore: true*/ process.cwd(), env.DATA_DIR);
}
