import path from "node:path";
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { nextCookies } from "better-auth/next-js";
import type { Database } from "../db";
import { accounts, authRateLimits, sessions, users, verifications } from "../db/schema";
import { dataDir, readEnv, type Env } from "../env";
import { readOrCreateKeyFile } from "../key-file";

export const MIN_PASSWORD_LENGTH = 12;
/** Failed or not, at most this many sign-in attempts per client address per minute. */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 5;

/** Email + password sign-in for backoffice users (better-auth, sessions in PostgreSQL). */
export function createBackofficeAuth(db: Database, env: Env = readEnv()) {
  return betterAuth({
    appName: "Trusted sites & Webhooks",
    // Without APP_URL (local development) any port on localhost / 127.0.0.1 is accepted.
    baseURL: env.APP_URL ?? {
      allowedHosts: ["localhost:*", "127.0.0.1:*"],
      protocol: "http",
      fallback: "http://localhost:3000",
    },
    secret: env.AUTH_SECRET ?? readOrCreateKeyFile(path.join(dataDir(env), "auth-secret")),
    database: drizzleAdapter(db, {
      provider: "pg",
      schema: { user: users, session: sessions, account: accounts, verification: verifications, rateLimit: authRateLimits },
    }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: MIN_PASSWORD_LENGTH },
    session: { expiresIn: 60 * 60 * 12, updateAge: 60 * 60 },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 300,
      customRules: { "/sign-in/email": { window: 60, max: SIGN_IN_ATTEMPTS_PER_MINUTE } },
    },
    advanced: { defaultCookieAttributes: { httpOnly: true, sameSite: "lax" } },
    telemetry: { enabled: false },
    plugins: [nextCookies()],
  });
}

export type BackofficeAuth = ReturnType<typeof createBackofficeAuth>;
