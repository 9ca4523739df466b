import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { dataDir, type Env } from "../env";
import type { BackofficeAuth } from "./auth";
import { ensureFirstUser } from "./create-user";

export const LOCAL_ADMIN_EMAIL = "admin@example.com";
export const LOCAL_ADMIN_PASSWORD_FILE = "initial-admin-password";

/**
 * Makes sure someone can sign in after the first start: ADMIN_EMAIL / ADMIN_PASSWORD when set;
 * otherwise, in development only, admin@example.com with a random password written to
 * DATA_DIR/initial-admin-password (never logged). Returns a line for the server log.
 */
export async function provisionFirstUser(auth: BackofficeAuth, env: Env): Promise<string | null> {
  if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
    const outcome = await ensureFirstUser(auth, { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
    return outcome === "created" ? `Created the first backoffice user ${env.ADMIN_EMAIL}.` : null;
  }
  if (env.NODE_ENV === "production") {
    const ctx = await auth.$context;
    if ((await ctx.adapter.count({ model: "user" })) > 0) return null;
    return "No backoffice user exists yet: run `npm run user:create`, or set ADMIN_EMAIL and ADMIN_PASSWORD.";
  }
  const password = randomBytes(12).toString("base64url");
  const file = path.join(dataDir(env), LOCAL_ADMIN_PASSWORD_FILE);
  const outcome = await ensureFirstUser(auth, { email: LOCAL_ADMIN_EMAIL, password });
  if (outcome !== "created") return null;
  writeFileSync(file, password + "\n", { mode: 0o600 });
  return `Created the local user ${LOCAL_ADMIN_EMAIL}; its password is in ${file}.`;
}
