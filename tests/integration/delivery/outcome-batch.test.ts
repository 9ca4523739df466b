import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { enqueue } from "@/lib/delivery/enqueue";
import { outcomeBatcher } from "@/lib/delivery/record-outcome";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe("outcomes recorded together (local worker)", () => {
  it("records each attempt's own result, and one the database refuses does not fail the others", async () => {
    const customerId = await insertCustomer(database.db);
    const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/", rps: 100, threads: 10 });
    const claimed = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const { id } = await enqueue(database.db, { siteId, customerId, action: "tick", payload: { i } });
        return (await claimMessage(database.db, id, randomUUID(), 10_000))!;
      }),
    );
    const record = outcomeBatcher(database.db);
    const options = { retryInMs: 60_000 };
    const results = await Promise.allSettled([
      record(claimed[0]!, { succeeded: true, responseCode: 200, responseExcerpt: "ok" }, options),
      // PostgreSQL text cannot hold a NUL byte.
      record(claimed[1]!, { succeeded: true, responseCode: 200, responseExcerpt: "a\u0000b" }, options),
      record(claimed[2]!, { succeeded: false, responseCode: 500, error: "the receiver answered 500" }, options),
    ]);
    expect(results[0]).toEqual({ status: "fulfilled", value: { kind: "done" } });
    expect(results[1]!.status).toBe("rejected");
    expect(results[2]).toMatchObject({ status: "fulfilled", value: { kind: "retry" } });
    const rows = await database.sql<{ id: string; status: string }[]>`
      select id, status from webhook_messages where id in ${database.sql(claimed.map((c) => c.id))}`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [claimed[0]!.id]: "done",
      [claimed[1]!.id]: "queued",
      [claimed[2]!.id]: "resent",
    });
  });
});
