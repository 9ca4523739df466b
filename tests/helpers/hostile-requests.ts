/**
 * Seeded hostile requests to the API routes (issue 12 §2): the generator tests/e2e/hostile-input.test.ts
 * asserts with and scripts/bench-fuzz-memory.ts measures the server's memory with, so both send the same.
 */
/** mulberry32: small, fast and the same sequence for the same seed everywhere. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
export type Random = ReturnType<typeof prng>;

const nested = (levels: number, leaf: unknown = "x"): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
  return value;
};

/** Strings PostgreSQL cannot store: any body carrying one must be refused, whatever field it is in. */
const UNSTORABLE_TEXT = ["\u0000", "a\u0000b", "\ud800", "x\udfff", "\udbff\u0000", "ok\ud83d", "\u0000".repeat(50)];
/** Values of the wrong type for a string field (refused there: no string field coerces). */
const NOT_STRINGS: unknown[] = [0, -1, 1e308, -1e308, 5e-324, 2 ** 63, true, false, null, [], {}, [["x"]], { $ne: 1 }, nested(10)];
/** Raw JSON texts for numbers JSON.stringify cannot write. */
const HUGE_NUMBER_TEXT = ["1e400", "-1e400", "99999999999999999999999999999999", "1" + "0".repeat(400), "-0", "1.5e-400"];

/** One hostile thing that makes any JSON body a refusal, at any depth of `base`. */
function poison(random: Random, base: Record<string, unknown>): string {
  const value = structuredClone(base);
  const keys = Object.keys(value);
  const target = (): Record<string, unknown> => {
    // Sometimes deeper: inside a new or existing object field.
    if (random.next() < 0.3) {
      const holder: Record<string, unknown> = {};
      value[random.pick([...keys, "extra"])] = random.next() < 0.5 ? holder : [holder];
      return holder;
    }
    return value;
  };
  switch (random.int(6)) {
    case 0:
      target()[random.pick([...keys, "x"])] = random.pick(UNSTORABLE_TEXT);
      break;
    case 1:
      target()[random.pick(UNSTORABLE_TEXT)] = random.pick(["v", 1, null]);
      break;
    case 2:
      target()[random.pick([...keys, "x"])] = nested(65 + random.int(3000), random.pick(["x", 1, null, "\u0000"]));
      break;
    case 3: {
      // A string field of the wrong type, plus a huge number no JSON.stringify writes.
      const stringKeys = keys.filter((k) => typeof value[k] === "string");
      if (stringKeys.length === 0) return JSON.stringify(nested(100));
      value[random.pick(stringKeys)] = random.pick(NOT_STRINGS);
      return JSON.stringify(value).replace(/}$/, `,"n":${random.pick(HUGE_NUMBER_TEXT)}}`);
    }
    case 4:
      // Broken JSON: cut short, or with a raw control character in a string.
      return random.next() < 0.5
        ? JSON.stringify(value).slice(0, random.int(JSON.stringify(value).length))
        : JSON.stringify(value).replace(/"$|":"/, '":"\u0000');
    default:
      return random.pick(["null", "[]", '"text"', "1e400", "true", "[".repeat(5000), "{".repeat(3000), "", "\ufeff{}", "{}}"]);
  }
  return JSON.stringify(value);
}

/** A valid body for each route, which poison() spoils; values are real where it matters. */
function baseBody(method: string, path: string, { draftSiteId, customerId }: FuzzFixtures): Record<string, unknown> {
  if (path === "/api/api-tokens") return { name: "fuzzed token" };
  if (path.endsWith("/status")) return { status: "active" };
  if (path === "/api/webhooks/messages") return { siteId: draftSiteId, customerId, action: "order.paid", payload: { total: 5 }, idempotencyKey: "k" };
  if (path === "/api/webhooks/resend-failed") return { siteId: draftSiteId, customerId, action: "a", from: "2026-01-01T00:00:00Z" };
  if (path.startsWith("/api/trusted-sites")) {
    return {
      name: "Fuzzed",
      url: "https://receiver.example/",
      authMethod: "jwt",
      authParams: { algorithm: "HS256", secret: "s", timeToLive: "5 minutes", payload: { sub: "x" } },
      rps: 5,
    };
  }
  return { [method.toLowerCase()]: "x" };
}

const QUERY_KEYS = ["status", "siteId", "customerId", "action", "from", "to", "cursor", "limit", "state", "code", "error", "x"];
const QUERY_VALUES = [
  "%00",
  "a%00b",
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%ED%A0%80",
  "%FF%FE",
  "1.abc",
  "1.-",
  "99999999999999999999.1",
  "9223372036854775807.1",
  "1.99999999999999999999999",
  "253402300800000000.1",
  "1.00000000-0000-4000-8000-000000000000",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59-23:59",
  "275760-09-13T00:00:00Z",
  "2026-02-30T00:00:00Z",
  "-1",
  "0",
  "1e9",
  "NaN",
  "Infinity",
  "0x10",
  "201",
  "",
  "active",
  "failed",
  // Long, but not so long that Next's 308 for `/..` (which repeats the URL in two headers) overflows the client's 16 KB.
  "x".repeat(1500),
  "00000000-0000-0000-0000-000000000000",
];
const PATH_SEGMENTS = [
  "%00",
  "a%00b",
  "..",
  "%2e%2e",
  "%2F",
  "x".repeat(3000),
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
  "1e400",
  "-1",
  "9223372036854775808",
  "%F0%9F%8E%89",
  "null",
];
/** Segments that do not decode: a broken %-escape, or bytes that are not UTF-8 (an encoded lone surrogate). */
export const BROKEN_PATH_ESCAPES = ["%ZZ", "%", "%E0%A4%A", "%ED%A0%80", "%FF%FE"];

export function hostileQuery(random: Random): string {
  const n = 1 + random.int(4);
  const pairs = Array.from({ length: n }, () => `${random.pick(QUERY_KEYS)}=${random.pick(QUERY_VALUES)}`);
  return "?" + pairs.join("&");
}

export interface HostileRequest {
  method: string;
  path: string;
  body?: string;
  auth: "token" | "session";
}

/** Rows the hostile requests name: a draft site (a message to it is refused with 409) and a customer. */
export interface FuzzFixtures {
  draftSiteId: string;
  customerId: string;
}

/** The routes, `{id}` segments filled with a real draft site id, a random one, or a hostile segment. */
export function hostileRequest(random: Random, routes: { method: string; path: string }[], fixtures: FuzzFixtures): HostileRequest {
  const { draftSiteId } = fixtures;
  const route = random.pick(routes);
  const segments = [...PATH_SEGMENTS, ...BROKEN_PATH_ESCAPES];
  // Never a real id for a DELETE: a valid delete is not hostile input.
  const realId = route.method !== "DELETE" && route.path.startsWith("/api/trusted-sites/");
  const id = realId && random.next() < 0.4 ? draftSiteId : random.pick(segments);
  const path = route.path.replace("00000000-0000-4000-8000-000000000000", id);
  const auth = random.next() < 0.7 ? "token" : "session";
  const query = route.method === "GET" || random.next() < 0.2 ? hostileQuery(random) : "";
  if (route.method === "GET" || route.method === "DELETE") return { method: route.method, path: path + query, auth };
  const body = poison(random, baseBody(route.method, route.path, fixtures));
  // No body is the valid request of an action that takes no fields (Test connection, turning signing on): not hostile there.
  const takesNoFields = NO_FIELD_ACTIONS.some((re) => re.test(route.path));
  return { method: route.method, path: path + query, auth, body: takesNoFields && body.trim() === "" ? "{}}" : body };
}

/** POST routes whose valid request has no body (readNoFieldsBody). */
const NO_FIELD_ACTIONS = [/\/test$/, /\/signing-secrets$/];
