import { describe, expect, it } from "vitest";
import type { CachedToken } from "@/lib/auth-methods/types";
import { expiryMarginMs, isFresh } from "@/lib/oauth/token-freshness";
import { createMemoryTokenStore } from "@/lib/oauth/token-store";

const T0 = new Date("2026-11-23T12:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe("token freshness", () => {
  it("the margin is 60 s, or a tenth of the lifetime for tokens living under 10 minutes", () => {
    expect(expiryMarginMs({ accessToken: "a", obtainedAt: T0, expiresAt: at(3600) })).toBe(60_000);
    expect(expiryMarginMs({ accessToken: "a", obtainedAt: T0, expiresAt: at(600) })).toBe(60_000);
    expect(expiryMarginMs({ accessToken: "a", obtainedAt: T0, expiresAt: at(60) })).toBe(6_000);
    expect(expiryMarginMs({ accessToken: "a", expiresAt: at(60) })).toBe(60_000); // lifetime unknown
  });

  it("a token is fresh until the margin before it expires", () => {
    const token = { accessToken: "a", obtainedAt: T0, expiresAt: at(60) };
    expect(isFresh(token, at(53.999))).toBe(true);
    expect(isFresh(token, at(54))).toBe(false);
    expect(isFresh({ ...token, accessToken: "" }, T0)).toBe(false);
    expect(isFresh(null, T0)).toBe(false);
  });
});

describe("memory token store", () => {
  it("50 concurrent callers share one fetch", async () => {
    const store = createMemoryTokenStore({ now: () => T0 });
    let fetches = 0;
    const fetchToken = async (): Promise<CachedToken> => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { accessToken: `token-${fetches}`, expiresAt: at(3600) };
    };
    const tokens = await Promise.all(Array.from({ length: 50 }, () => store.getOrFetch("site", fetchToken)));
    expect(fetches).toBe(1);
    expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set(["token-1"]));
  });

  it("different sites fetch separately", async () => {
    const store = createMemoryTokenStore({ now: () => T0 });
    const sites: string[] = [];
    await Promise.all(
      ["a", "b", "a", "b"].map((siteId) =>
        store.getOrFetch(siteId, async () => {
          sites.push(siteId);
          return { accessToken: siteId, expiresAt: at(3600) };
        }),
      ),
    );
    expect(sites.sort()).toEqual(["a", "b"]);
  });

  it("reuses a token until near expiry, then hands the expired one to the fetch", async () => {
    let clock = T0;
    const store = createMemoryTokenStore({ now: () => clock });
    const seen: (CachedToken | null)[] = [];
    const fetchToken = async (expired: CachedToken | null) => {
      seen.push(expired);
      return { accessToken: `token-${seen.length}`, refreshToken: "refresh", expiresAt: new Date(clock.getTime() + 600_000) };
    };
    expect((await store.getOrFetch("site", fetchToken)).accessToken).toBe("token-1");
    clock = at(539);
    expect((await store.getOrFetch("site", fetchToken)).accessToken).toBe("token-1");
    clock = at(541);
    expect((await store.getOrFetch("site", fetchToken)).accessToken).toBe("token-2");
    expect(seen).toEqual([null, { accessToken: "token-1", refreshToken: "refresh", expiresAt: at(600) }]);
  });

  it("invalidate forgets the access token but keeps the refresh token", async () => {
    const store = createMemoryTokenStore({ now: () => T0, tokens: { site: { accessToken: "a", refreshToken: "r", expiresAt: at(3600) } } });
    await store.invalidate("site", "a");
    let expired: CachedToken | null = null;
    const next = await store.getOrFetch("site", async (previous) => {
      expired = previous;
      return { accessToken: "b", expiresAt: at(3600) };
    });
    expect(next.accessToken).toBe("b");
    expect(expired).toMatchObject({ accessToken: "", refreshToken: "r" });
  });

  it("invalidate of a token that was already replaced keeps the new one", async () => {
    const store = createMemoryTokenStore({ now: () => T0, tokens: { site: { accessToken: "new", refreshToken: "r", expiresAt: at(3600) } } });
    await store.invalidate("site", "old");
    expect(store.peek("site")).toMatchObject({ accessToken: "new" });
  });

  it("a failed fetch reaches every waiting caller and is not cached", async () => {
    const store = createMemoryTokenStore({ now: () => T0 });
    let calls = 0;
    const failing = async (): Promise<CachedToken> => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error("token endpoint answered 500");
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => store.getOrFetch("site", failing)));
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(calls).toBe(1);
    expect(store.peek("site")).toBeUndefined();
    expect((await store.getOrFetch("site", async () => ({ accessToken: "ok", expiresAt: at(60) }))).accessToken).toBe("ok");
  });
});
