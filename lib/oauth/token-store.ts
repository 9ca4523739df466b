import { eq, sql } from "drizzle-orm";
import { AuthorizationError, type CachedToken, type TokenStore } from "@/lib/auth-methods/types";
import type { Database } from "@/lib/db/client";
import { trustedSites } from "@/lib/db/schema";
import { observeTokenFetch } from "@/lib/observability/observe-token-fetch";
import type { SecretBox } from "@/lib/secrets";
import { forgetRefusedAccessToken, readSiteToken, writeSiteToken, type Executor } from "./site-token";
import { isFresh, type StoredToken } from "./token-freshness";

export interface TokenStoreOptions {
  /** The clock deciding whether a cached token is still fresh. */
  now?: () => Date;
  /**
   * How long to wait for another process's fetch of the site's token before failing the attempt
   * (an Inngest step must end within its budget). Unset: waits as long as that fetch takes.
   */
  lockWaitMs?: number;
}

/**
 * Tokens cached with the site in PostgreSQL. One fetch per site at a time: concurrent sends in this
 * process share one promise, and processes serialise on a transaction-scoped advisory lock for the
 * site, re-reading the row once they hold it, so a process that waited finds the token another one
 * just fetched. The lock (not a row lock) leaves the site row free for edits while a fetch runs.
 */
export function createDatabaseTokenStore(db: Database, box: SecretBox, options: TokenStoreOptions = {}): TokenStore {
  const now = options.now ?? (() => new Date());
  const flights = singleFlight<CachedToken>();
  return {
    async getOrFetch(siteId, fetchToken) {
      const cached = await readSiteToken(db, box, siteId);
      if (isFresh(cached, now())) return withoutObtainedAt(cached);
      return flights.run(siteId, () =>
        db.transaction(async (tx) => {
          if (options.lockWaitMs !== undefined) await waitForFetchLock(tx, siteId, options.lockWaitMs);
          else await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`oauth-token:${siteId}`}, 0))`);
          const current = await readSiteToken(tx, box, siteId);
          if (isFresh(current, now())) return withoutObtainedAt(current);
          const site = { id: siteId, name: await siteName(tx, siteId) };
          const token = await observeTokenFetch(site, () => fetchToken(current ? withoutObtainedAt(current) : null));
          await writeSiteToken(tx, box, siteId, token, now());
          return token;
        }),
      );
    },
    invalidate: (siteId, refused) => forgetRefusedAccessToken(db, box, siteId, refused),
  };
}

async function waitForFetchLock(tx: Parameters<Parameters<Database["transaction"]>[0]>[0], siteId: string, lockWaitMs: number) {
  await tx.execute(sql`select set_config('lock_timeout', ${`${Math.max(1, Math.round(lockWaitMs))}ms`}, true)`);
  try {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`oauth-token:${siteId}`}, 0))`);
  } catch (error) {
    if ((error as { cause?: { code?: string }; code?: string })?.cause?.code === "55P03" || (error as { code?: string })?.code === "55P03") {
      throw new AuthorizationError(`another send has been fetching the site's token for more than ${lockWaitMs} ms`);
    }
    throw error;
  }
  await tx.execute(sql`select set_config('lock_timeout', '0', true)`);
}

export interface MemoryTokenStore extends TokenStore {
  /** Puts a token in the cache (test set-up), as if fetched now. */
  set(siteId: string, token: CachedToken): void;
  /** The cached token, fresh or not. */
  peek(siteId: string): CachedToken | undefined;
}

/** The same semantics without a database, for unit tests and tools. */
export function createMemoryTokenStore(options: TokenStoreOptions & { tokens?: Record<string, CachedToken> } = {}): MemoryTokenStore {
  const now = options.now ?? (() => new Date());
  const tokens = new Map<string, StoredToken>();
  const flights = singleFlight<CachedToken>();
  const store = (siteId: string, token: CachedToken) => tokens.set(siteId, { ...token, obtainedAt: now() });
  for (const [siteId, token] of Object.entries(options.tokens ?? {})) store(siteId, token);

  return {
    async getOrFetch(siteId, fetchToken) {
      const cached = tokens.get(siteId);
      if (isFresh(cached, now())) return withoutObtainedAt(cached);
      return flights.run(siteId, async () => {
        const token = await fetchToken(cached ? withoutObtainedAt(cached) : null);
        store(siteId, token);
        return token;
      });
    },
    async invalidate(siteId, refused) {
      const cached = tokens.get(siteId);
      if (cached?.accessToken !== refused) return;
      if (cached.refreshToken) tokens.set(siteId, { accessToken: "", expiresAt: new Date(0), refreshToken: cached.refreshToken });
      else tokens.delete(siteId);
    },
    set: store,
    peek: (siteId) => {
      const cached = tokens.get(siteId);
      return cached && withoutObtainedAt(cached);
    },
  };
}

/** The site's name for the token metrics' labels (a fetch is rare: once per token lifetime). */
async function siteName(db: Executor, siteId: string): Promise<string> {
  const [row] = await db.select({ name: trustedSites.name }).from(trustedSites).where(eq(trustedSites.id, siteId));
  return row?.name ?? "";
}

/** At most one running task per key; callers that arrive meanwhile share its outcome. */
function singleFlight<T>() {
  const running = new Map<string, Promise<T>>();
  return {
    run(key: string, task: () => Promise<T>): Promise<T> {
      const existing = running.get(key);
      if (existing) return existing;
      const flight = task().finally(() => running.delete(key));
      running.set(key, flight);
      return flight;
    },
  };
}

function withoutObtainedAt(token: StoredToken): CachedToken {
  return { accessToken: token.accessToken, expiresAt: token.expiresAt, refreshToken: token.refreshToken };
}
