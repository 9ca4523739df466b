import path from "node:path";
import { z } from "zod";
import { inngestDevMode } from "./inngest/dev-mode";
import { DEFAULT_INNGEST_STEP_MAX_MS, MIN_INNGEST_STEP_MAX_MS, ROUTE_MAX_DURATION_S } from "./inngest/step-budget";

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
  /**
   * Who delivers messages: `local` (a worker in this process or `npm run worker`) or `inngest`
   * (the functions served at /api/inngest). With `inngest`, the Inngest SDK reads its own settings
   * from the environment: INNGEST_DEV (`1`, or the dev server's URL), INNGEST_EVENT_KEY,
   * INNGEST_SIGNING_KEY (+ INNGEST_SIGNING_KEY_FALLBACK while rotating), INNGEST_BASE_URL
   * (a self-hosted `inngest start`). Only the two keys are declared below, to check them at start-up.
   */
  WEBHOOK_ENGINE: z.enum(["local", "inngest"]).default("local"),
  /** Sends events to Inngest (read by the SDK; never logged). */
  INNGEST_EVENT_KEY: z.string().trim().min(1).optional(),
  /** Verifies that requests to /api/inngest come from Inngest (read by the SDK; never logged). */
  INNGEST_SIGNING_KEY: z.string().trim().min(1).optional(),
  /**
   * Talk to an Inngest dev server instead of Inngest Cloud (read by the SDK, and here exactly as the
   * SDK reads it: lib/inngest/dev-mode.ts). Dev mode also turns off the SDK's check of Inngest's
   * request signatures, so production refuses it unless ALLOW_INNGEST_DEV_IN_PRODUCTION=true.
   */
  INNGEST_DEV: z.string().optional(),
  /** The explicit second setting that lets a production server run Inngest in dev mode (unsigned calls accepted). */
  ALLOW_INNGEST_DEV_IN_PRODUCTION: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true"),
  /**
   * The longest the host lets one request to /api/inngest run, in ms (Vercel: the function's
   * maximum duration). Each step's waits are bounded below it (lib/inngest/step-budget.ts); at most
   * the route's maxDuration.
   */
  INNGEST_STEP_MAX_MS: z.coerce
    .number()
    .int()
    .min(MIN_INNGEST_STEP_MAX_MS, `must be at least ${MIN_INNGEST_STEP_MAX_MS} (no site timeout fits in less)`)
    .max(ROUTE_MAX_DURATION_S * 1000, `must be at most ${ROUTE_MAX_DURATION_S * 1000}, the maxDuration of app/api/inngest/route.ts (raise both together)`)
    .default(DEFAULT_INNGEST_STEP_MAX_MS),
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
  /** Run the local delivery worker inside the web server (WEBHOOK_ENGINE=local); false when `npm run worker` runs it alone. */
  WORKER_IN_SERVER: z
    .enum(["0", "1", "true", "false"])
    .default("true")
    .transform((v) => v === "1" || v === "true"),
  /** Attempts one local worker process runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(100),
  /** How long a worker's claim on a message lasts unrenewed: after a crash its messages are retried this much later (unset: the delivery's default, 30 s). */
  WORKER_CLAIM_TTL_MS: z.coerce.number().int().min(100).optional(),
  /** `npm run worker` serves GET /api/metrics on this port (API token required); unset, it serves nothing. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /** The default policy's pause before a failed attempt is resent (unset: DESIGN §3's 10 s); shorter only for tests and demos. */
  WEBHOOK_RETRY_INTERVAL_MS: z.coerce.number().int().min(0).optional(),
  /**
   * Where to send OpenTelemetry traces (OTLP over HTTP, e.g. http://collector:4318); unset, no SDK
   * is registered and spans are no-ops. The exporter itself reads it and the other OTEL_* variables.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().or(z.literal("")).optional(),
  /** The service name traces carry. */
  OTEL_SERVICE_NAME: z.string().trim().min(1).default("trusted-sites-webhooks"),
  /** Skip applying migrations at server start-up (when a deploy step runs `npm run db:migrate`). */
  SKIP_MIGRATIONS: z
    .enum(["0", "1", "true", "false"])
    .default("false")
    .transform((v) => v === "1" || v === "true"),
}).superRefine((env, ctx) => {
  if (env.WEBHOOK_ENGINE !== "inngest") return;
  const dev = inngestDevMode(env.INNGEST_DEV);
  if (dev.mode === "dev" && dev.schemeless) {
    ctx.addIssue({
      code: "custom",
      path: ["INNGEST_DEV"],
      message: `is neither 1/true, 0/false nor a URL: the Inngest SDK would take it as the dev server at ${dev.url} (write the URL with http://)`,
    });
    return;
  }
  if (env.NODE_ENV !== "production") return;
  if (dev.mode === "dev") {
    if (!env.ALLOW_INNGEST_DEV_IN_PRODUCTION) {
      ctx.addIssue({
        code: "custom",
        path: ["INNGEST_DEV"],
        message:
          "turns on Inngest dev mode, in which /api/inngest accepts unsigned requests: refused in production unless ALLOW_INNGEST_DEV_IN_PRODUCTION=true",
      });
    }
    return;
  }
  // Without the keys every event send and every call from Inngest would fail at run time instead.
  for (const key of ["INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY"] as const) {
    if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "is required with WEBHOOK_ENGINE=inngest in production (Inngest Cloud or a self-hosted inngest start)" });
  }
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

/**
 * INNGEST_STEP_MAX_MS alone, checked as readEnv checks it. The Inngest client needs it when it is
 * created, which `next build` does too, before start-up checks the rest (the keys, say, may only
 * exist at run time).
 */
export function readInngestStepMaxMs(source: Record<string, string | undefined> = process.env): number {
  const field = z.object({ INNGEST_STEP_MAX_MS: envSchema.shape.INNGEST_STEP_MAX_MS });
  const parsed = field.safeParse(source.INNGEST_STEP_MAX_MS ? { INNGEST_STEP_MAX_MS: source.INNGEST_STEP_MAX_MS } : {});
  if (!parsed.success) throw new ConfigError(`INNGEST_STEP_MAX_MS ${parsed.error.issues[0]!.message}`);
  return parsed.data.INNGEST_STEP_MAX_MS;
}
