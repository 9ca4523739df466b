import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as customersRoute } from "@/app/api/customers/route";
import { customersQuery, customersQuerySchema } from "@/lib/customers/list-customers";
import { customers } from "@/lib/db/schema";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";

let database: RouteTestDatabase;
let token: string;
const TOTAL = 130;

beforeAll(async () => {
  database = await createRouteTestDatabase("customers");
  token = database.token;
  const rows: { name: string; email: string | null; externalId: string | null }[] = Array.from({ length: TOTAL }, (_, i) => ({
    name: `Customer ${String(i).padStart(3, "0")}`,
    email: i % 10 === 0 ? null : `customer-${i}@example.com`,
    externalId: `EXT-${i}`,
  }));
  // Same-name customers: the id breaks the tie, so paging neither repeats nor skips them.
  rows.push({ name: "Twin", email: "twin-a@example.com", externalId: "T-A" }, { name: "Twin", email: "twin-b@example.com", externalId: "T-B" });
  rows.push({ name: "Ada Lovelace", email: "Ada@Analytical.example", externalId: "C-1042" });
  rows.push({ name: "100%_sure", email: null, externalId: null });
  await database.db.insert(customers).values(rows);
});
afterAll(() => database?.drop());

const get = async (query: string) => {
  const res = await customersRoute(new Request(`http://app.test/api/customers${query}`, { headers: { authorization: `Bearer ${token}` } }), {
    params: Promise.resolve({}),
  } as { params: Promise<Record<string, never>> });
  return { status: res.status, body: await res.json() };
};

describe("GET /api/customers", () => {
  it("pages through every customer once, by name, with a cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const { status, body } = await get(`?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(50);
      seen.push(...body.items.map((c: { id: string }) => c.id));
      cursor = body.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(TOTAL + 4);
    const all = await database.db.select({ id: customers.id }).from(customers).orderBy(customers.name, customers.id);
    expect(seen).toEqual(all.map((c) => c.id));
  });

  it("finds by a prefix of the name, e-mail or external id, in any case", async () => {
    const names = async (q: string) => (await get(`?q=${encodeURIComponent(q)}`)).body.items.map((c: { name: string }) => c.name);
    expect(await names("ada")).toEqual(["Ada Lovelace"]);
    expect(await names("ADA@analytical")).toEqual(["Ada Lovelace"]);
    expect(await names("c-1042")).toEqual(["Ada Lovelace"]);
    // Customer 120 has no e-mail.
    expect(await names("customer-12")).toEqual(["Customer 012", "Customer 121", "Customer 122", "Customer 123", "Customer 124", "Customer 125", "Customer 126", "Customer 127", "Customer 128", "Customer 129"]);
    expect(await names("twin")).toEqual(["Twin", "Twin"]);
    expect(await names("  Ada  ")).toEqual(["Ada Lovelace"]);
    // LIKE wildcards typed in a search are literal.
    expect(await names("100%")).toEqual(["100%_sure"]);
    expect(await names("%")).toEqual([]);
    expect(await names("_")).toEqual([]);
    expect(await names("nobody")).toEqual([]);
  });

  it("pages through search results too", async () => {
    const first = await get("?q=customer&limit=100");
    expect(first.body.items).toHaveLength(100);
    const second = await get(`?q=customer&limit=100&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(TOTAL - 100);
    expect(second.body.nextCursor).toBeNull();
  });

  it("refuses a forged cursor, a bad limit or a too long search with 422 naming the field, never 500", async () => {
    const forged = [
      "abc",
      "not a cursor",
      Buffer.from("[1,2]").toString("base64url"),
      Buffer.from('["Ada","not-a-uuid"]').toString("base64url"),
      Buffer.from(JSON.stringify(["Ada", randomUUID(), "extra"])).toString("base64url"),
      Buffer.from('["A\\u0000", "' + randomUUID() + '"]').toString("base64url"),
      Buffer.from("{").toString("base64url"),
      "x".repeat(5000),
    ];
    for (const cursor of forged) {
      const { status, body } = await get(`?cursor=${encodeURIComponent(cursor)}`);
      expect(status, cursor).toBe(422);
      expect(body.issues).toEqual([{ path: ["cursor"], message: "Not a cursor from this API" }]);
    }
    for (const limit of ["0", "201", "abc", "1.5"]) {
      const { status, body } = await get(`?limit=${limit}`);
      expect(status).toBe(422);
      expect(body.issues[0].path).toEqual(["limit"]);
    }
    const long = await get(`?q=${"a".repeat(201)}`);
    expect(long.status).toBe(422);
    expect(long.body.issues).toEqual([{ path: ["q"], message: "Search is at most 200 characters" }]);
    const nul = await get(`?q=a%00b`);
    expect(nul.status).toBe(422);
    expect(nul.body.issues[0].path).toEqual(["q"]);
  });

  it("answers 401 without credentials", async () => {
    const res = await customersRoute(new Request("http://app.test/api/customers"), { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> });
    expect(res.status).toBe(401);
  });

  it("reads a page and a search through indexes, not the whole table", async () => {
    await database.db.execute(sql`analyze customers`);
    const plan = async (query: Record<string, string>) => {
      const q = customersQuerySchema.parse(query);
      const built = customersQuery(database.db, q).toSQL();
      return database.sql.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        const rows = await tx.unsafe(`explain ${built.sql}`, built.params as never[]);
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
    };
    expect(await plan({})).toMatch(/customers_name_id_idx/);
    const search = await plan({ q: "ada" });
    for (const index of ["customers_name_prefix_idx", "customers_email_prefix_idx", "customers_external_id_prefix_idx"]) expect(search).toContain(index);
  });
});
