import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { SIGN_IN_ATTEMPTS_PER_MINUTE } from "./auth";

const WINDOW_MS = 60_000;

/*
 * Failed sign-ins per account. better-auth already limits attempts per client address, but the
 * address comes from X-Forwarded-For, which a client can forge when it reaches the app directly;
 * counting failures per account closes that gap. Fixed one-minute windows in better-auth's rate
 * limit table, shared by every process.
 */

const keyFor = (email: string) => `account-sign-in-failures|${email.trim().toLowerCase()}`;

/** Whether the account has used up its failed attempts for the current minute. */
export async function signInLocked(db: Database, email: string, now = Date.now()): Promise<boolean> {
  const [row] = await db.execute<{ count: number }>(sql`
    select count from auth_rate_limits where key = ${keyFor(email)} and last_request > ${now - WINDOW_MS}`);
  return Number(row?.count ?? 0) >= SIGN_IN_ATTEMPTS_PER_MINUTE;
}

/** Counts a failed sign-in (one atomic statement; a new window starts a minute after the first failure). */
export async function recordFailedSignIn(db: Database, email: string, now = Date.now()): Promise<void> {
  await db.execute(sql`
    insert into auth_rate_limits (id, key, count, last_request)
    values (${randomUUID()}, ${keyFor(email)}, 1, ${now})
    on conflict (key) do update set
      count = case when auth_rate_limits.last_request <= ${now - WINDOW_MS} then 1 else auth_rate_limits.count + 1 end,
      last_request = case when auth_rate_limits.last_request <= ${now - WINDOW_MS} then ${now} else auth_rate_limits.last_request end`);
}
