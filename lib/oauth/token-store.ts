import { eq, sql } from "drizzle-orm";
import { AuthorizationError, type CachedToken, type TokenStore } from "@/lib/auth-methods/types";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { Database } from "@/lib/db/client";
import { trustedSites } from "@/lib/db/schema";
import { observeTokenFetch } from "@/lib/observability/observe-token-fetch";
import type { SecretBox } from "@/lib/secrets";
import { forgetRefusedAccessToken, readSiteToken, writeSiteToken, type Executor } from "./site-token";
import { isFresh, type StoredToken } from "./token-freshness";
import { describeTokenFetchFailure, recordTokenFetchFailed, recordTokenObtained, type TokenFetchOccasion } from "./token-health";

export interface TokenStoreOptions {
  /** The clock deciding whether a cached token is still fresh. */
  now?: () => Date;
  /**
   * How long to wait for another process's fetch of the site's token before failing the attempt
   * (an Inngest step must end within its budget). Unset: waits as long as that fetch takes.
   */
  lockWaitMs?: number;
}

type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DatabaseTokenStore extends TokenStore {
  /**
   * Fetches and stores a token now, whatever is cached (Connect's code exchange), under the same
   * lock and with the same health record as every other fetch; `afterStore` runs in the transaction
   * that stores it (an audit entry). A failure is recorded as Connect's, not as a refused grant.
   */
  replace(siteId: string, fetchToken: () => Promise<CachedToken>, afterStore?: (tx: Transaction, token: CachedToken) => Promise<void>): Promise<CachedToken>;
}

/**
 * Tokens cached with the site in PostgreSQL. One fetch per site at a time: concurrent sends in this
 * process share one promise, and processes serialise on a transaction-scoped advisory lock for the
 * site, re-reading the row once they hold it, so a process that waited finds the token another one
 * just fetched. The lock (not a row lock) leaves the site row free for edits while a fetch runs.
 *
 * Every fetch is recorded in `site_token_health` (token-health.ts) here, in the same transaction:
 * a token obtained clears a refusal; a failure leaves its reason (and a refusal) for the site page.
 */
export function createDatabaseTokenStore(db: Database, box: SecretBox, options: TokenStoreOptions = {}): DatabaseTokenStore {
  const now = options.now ?? (() => new Date());
  const flights = singleFlight<CachedToken>();

  /** Runs `fetchToken` under the site's lock unless `reuse` finds the token another fetch stored meanwhile. */
  async function fetchUnderLock(
    siteId: string,
    reuse: (current: StoredToken | null) => CachedToken | null,
    fetchToken: (current: StoredToken | null) => Promise<CachedToken>,
    occasion: TokenFetchOccasion,
    afterStore?: (tx: Transaction, token: CachedToken) => Promise<void>,
  ): Promise<CachedToken> {
    let failed: { error: unknown } | undefined;
    const token = await db.transaction(async (tx) => {
      if (options.lockWaitMs !== undefined) await waitForFetchLock(tx, siteId, options.lockWaitMs);
      else await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`oauth-token:${siteId}`}, 0))`);
      const current = await readSiteToken(tx, box, siteId);
      const reused = reuse(current);
      if (reused) return reused;
      const site = await siteLabel(tx, siteId);
      let fetched: CachedToken;
      try {
        fetched = await observeTokenFetch(site, () => fetchToken(current));
      } catch (error) {
        // Recorded in this transaction, which commits: the error is rethrown once it has.
        await recordTokenFetchFailed(tx, siteId, describeTokenFetchFailure(error, site.authMethod, occasion), now());
        failed = { error };
        return null;
      }
      await writeSiteToken(tx, box, siteId, fetched, now());
      await recordTokenObtained(tx, siteId, now());
      await afterStore?.(tx, fetched);
      return fetched;
    });
    if (failed) throw failed.error;
    return token!;
  }

  return {
    async getOrFetch(siteId, fetchToken) {
      const cached = await readSiteToken(db, box, siteId);
      if (isFresh(cached, now())) return withoutObtainedAt(cached);
      return flights.run(siteId, () =>
        fetchUnderLock(
          siteId,
          (current) => (isFresh(current, now()) ? withoutObtainedAt(current) : null),
          (current) => fetchToken(current ? withoutObtainedAt(current) : null),
          "fetch",
        ),
      );
    },
    invalidate: (siteId, refused) => forgetRefusedAccessToken(db, box, siteId, refused),
    replace: (siteId, fetchToken, afterStore) => fetchUnderLock(siteId, () => null, fetchToken, "connect", afterStore),
  };
}

async function waitForFetchLock(tx: Transaction, siteId: string, lockWaitMs: number) {
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

/** The site's name for the token metrics' labels and its method for the health record (a fetch is rare: once per token lifetime). */
async function siteLabel(db: Executor, siteId: string): Promise<{ id: string; name: string; authMethod?: AuthMethod }> {
  const [row] = await db.select({ name: trustedSites.name, authMethod: trustedSites.authMethod }).from(trustedSites).where(eq(trustedSites.id, siteId));
  return { id: siteId, name: row?.name ?? "", authMethod: row?.authMethod };
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
