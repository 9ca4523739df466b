import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { SIGN_IN_ATTEMPTS_PER_MINUTE } from "./auth";

const WINDOW_MS = 60_000;

/**
 * Counts a sign-in attempt for an account and says whether it is over the limit. better-auth
 * already limits per client address, but the address comes from X-Forwarded-For, which a client
 * can forge when the app is reached directly; counting per account closes that gap.
 * Fixed one-minute window, one atomic statement, shared by every process.
 */
export async function signInAttemptAllowed(db: Database, email: string, now = Date.now()): Promise<boolean> {
  const key = `account-sign-in|${email.trim().toLowerCase()}`;
  const [row] = await db.execute<{ count: number }>(sql`
    insert into auth_rate_limits (id, key, count, last_request)
    values (${randomUUID()}, ${key}, 1, ${now})
    on conflict (key) do update set
      count = case when auth_rate_limits.last_request <= ${now - WINDOW_MS} then 1 else auth_rate_limits.count + 1 end,
      last_request = case when auth_rate_limits.last_request <= ${now - WINDOW_MS} then ${now} else auth_rate_limits.last_request end
    returning count`);
  return Number(row!.count) <= SIGN_IN_ATTEMPTS_PER_MINUTE;
}
